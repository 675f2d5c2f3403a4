/**
 * The decoder's output: what `tsip dump` prints, and what capture filters and
 * the fuzzer inspect. A packet is a list of layers, outermost first; each
 * layer holds its fields as name/value pairs (names are per layer, so
 * `tcp` + `dstport` reads as Wireshark's `tcp.dstport`) and a one-line
 * summary in tcpdump's words.
 */

/** The layers the decoder knows. `fragment` is an IPv4 non-first fragment; `data` is bytes no layer claims. */
export type LayerProtocol =
  | 'eth'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'ipv6-hbh'
  | 'ipv6-dstopts'
  | 'ipv6-routing'
  | 'ipv6-frag'
  | 'fragment'
  | 'icmp'
  | 'icmp6'
  | 'udp'
  | 'tcp'
  | 'data';

/** A field value: numbers as on the wire (addresses and flags in their text form). */
export type FieldValue = number | string | boolean;

/** One field of a layer. */
export interface DecodedField {
  /** Short kebab-case name, unique within its layer unless the field repeats (`option`, `record`). */
  readonly name: string;
  readonly value: FieldValue;
  /** How to show the value when `String(value)` is not the best form (hex, a name beside a number). */
  readonly display?: string;
}

/**
 * Checksum verdicts, in the `checksum-status` field of every layer that has
 * a checksum: `bad` comes with a `checksum-expected` field.
 * `unverified` is for the first fragment of a datagram (the rest of the
 * data the checksum covers is in other packets).
 */
export type ChecksumStatus = 'correct' | 'bad' | 'none' | 'unverified';

/** One decoded layer. */
export interface DecodedLayer {
  readonly protocol: LayerProtocol;
  /** Offset of the layer's first byte in the frame. */
  readonly offset: number;
  /** Source and destination as text: MACs, IP addresses, or ports for TCP/UDP. */
  readonly src?: string;
  readonly dst?: string;
  readonly fields: DecodedField[];
  /**
   * tcpdump's text for this layer, without the addresses and ports that
   * the line formatter places around it (e.g. for TCP `Flags [S], seq 1000,
   * win 64240, length 0`; for IPv4 the addresses, for headings).
   */
  readonly summary: string;
}

/** Where decoding stopped and why; the layers before it stay decoded. */
export interface Malformation {
  /** The layer that failed to parse (a {@link LayerProtocol}, or `ip`/`link` before one is known). */
  readonly layer: string;
  /** The codec's reason tag, such as `tcp-bad-data-offset`. */
  readonly reason: string;
}

/** A decoded frame. */
export interface DecodedPacket {
  /** The pcap LINKTYPE the frame was decoded as. */
  readonly linkType: number;
  readonly capturedLength: number;
  /** The length on the wire (≥ capturedLength when the capture was snapped). */
  readonly originalLength: number;
  readonly layers: readonly DecodedLayer[];
  readonly malformed?: Malformation;
}

/** The first field of `layer` named `name`, if any. */
export function findField(layer: DecodedLayer, name: string): DecodedField | undefined {
  const fields = layer.fields;
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === name) return fields[i];
  return undefined;
}

/** The first layer of `packet` of protocol `protocol`, if any. */
export function findLayer(packet: DecodedPacket, protocol: LayerProtocol): DecodedLayer | undefined {
  const layers = packet.layers;
  for (let i = 0; i < layers.length; i++) if (layers[i]!.protocol === protocol) return layers[i];
  return undefined;
}
