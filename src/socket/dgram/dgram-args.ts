import { nodeError } from '../net/errors.js';

/** What `send()` takes: bytes, a string, or a list of them (sent as one datagram). */
export type DgramMessage = string | ArrayBufferView | ReadonlyArray<string | ArrayBufferView>;

/** Node's sliceBuffer: offset/length applied to a Buffer, TypedArray, DataView or string. */
export function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let b: ArrayBufferView;
  if (typeof buffer === 'string') b = Buffer.from(buffer);
  else if (ArrayBuffer.isView(buffer)) b = buffer;
  else throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
  const off = Number(offset) >>> 0;
  const len = Number(length) >>> 0;
  if (off > b.byteLength) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
  if (off + len > b.byteLength) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
  return Buffer.from(b.buffer, b.byteOffset + off, len);
}

/** The message as a list of byte views (strings encoded as UTF-8). */
export function toList(buffer: unknown): Uint8Array[] {
  const one = (x: unknown): Uint8Array => {
    if (typeof x === 'string') return Buffer.from(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
  };
  if (Array.isArray(buffer)) return buffer.length === 0 ? [new Uint8Array(0)] : buffer.map(one);
  return [one(buffer)];
}

export function checkNumber(v: unknown, name: string): void {
  if (typeof v !== 'number') throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number`);
}
