import type { ChecksumStatus, DecodedField, DecodedLayer, LayerProtocol } from './types.js';

/**
 * Building blocks shared by the layer decoders: the packet under
 * construction, field constructors and number formatting.
 */

/** A packet being decoded: layers are appended in order; the first failure is kept. */
export interface Decoding {
  readonly layers: DecodedLayer[];
  malformed: { layer: string; reason: string } | undefined;
}

/** Records that `layer` failed with `reason` (only the first failure counts: decoding stops there). */
export function markMalformed(d: Decoding, layer: string, reason: string): void {
  if (d.malformed === undefined) d.malformed = { layer, reason };
}

/** Appends a layer. */
export function addLayer(
  d: Decoding,
  protocol: LayerProtocol,
  offset: number,
  fields: DecodedField[],
  summary: string,
  src?: string,
  dst?: string,
): DecodedLayer {
  const layer: DecodedLayer =
    src === undefined || dst === undefined
      ? { protocol, offset, fields, summary }
      : { protocol, offset, src, dst, fields, summary };
  d.layers.push(layer);
  return layer;
}

/** A field; `display` only when the plain value does not read well. */
export function field(name: string, value: number | string | boolean, display?: string): DecodedField {
  return display === undefined ? { name, value } : { name, value, display };
}

/** `0x` and `digits` lower-case hex digits of `v` (an unsigned value). */
export function hex(v: number, digits: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(digits, '0');
}

/** A numeric field shown in hex. */
export function hexField(name: string, value: number, digits: number): DecodedField {
  return { name, value, display: hex(value, digits) };
}

/** A number with its name, as tcpdump shows them: `TCP (6)`. */
export function named(name: string | undefined, value: number): string {
  return `${name ?? 'unknown'} (${value})`;
}

/**
 * Appends the checksum fields: `checksum` (as received), `checksum-status`
 * and, when bad, `checksum-expected` (the value a sender should have written).
 */
export function pushChecksum(fields: DecodedField[], got: number, status: ChecksumStatus, expected: number): void {
  fields.push(hexField('checksum', got, 4));
  fields.push(field('checksum-status', status));
  if (status === 'bad') fields.push(hexField('checksum-expected', expected, 4));
}
