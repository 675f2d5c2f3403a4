import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { SeededRandom } from '../../../src/core/random.js';
import { KeyedHasher, SipHash24 } from '../../../src/core/siphash.js';

/**
 * The 64 SipHash-2-4 tags of the reference implementation's vectors.h
 * (github.com/veorq/SipHash): key 00 01 .. 0f, message i = 00 01 .. (i-1),
 * each tag written as its 8 bytes least significant first.
 */
const VECTORS: readonly string[] = [
  '310e0edd47db6f72', 'fd67dc93c539f874', '5a4fa9d909806c0d', '2d7efbd796666785',
  'b7877127e09427cf', '8da699cd64557618', 'cee3fe586e46c9cb', '37d1018bf50002ab',
  '6224939a79f5f593', 'b0e4a90bdf82009e', 'f3b9dd94c5bb5d7a', 'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75', '903d84c02756ea14', 'eef27a8e90ca23f7', 'e545be4961ca29a1',
  'db9bc2577fcc2a3f', '9447be2cf5e99a69', '9cd38d96f0b3c14b', 'bd6179a71dc96dbb',
  '98eea21af25cd6be', 'c7673b2eb0cbf2d0', '883ea3e395675393', 'c8ce5ccd8c030ca8',
  '94af49f6c650adb8', 'eab8858ade92e1bc', 'f315bb5bb835d817', 'adcf6b0763612e2f',
  'a5c91da7acaa4dde', '716595876650a2a6', '28ef495c53a387ad', '42c341d8fa92d832',
  'ce7cf2722f512771', 'e37859f94623f3a7', '381205bb1ab0e012', 'ae97a10fd434e015',
  'b4a31508beff4d31', '81396229f0907902', '4d0cf49ee5d4dcca', '5c73336a76d8bf9a',
  'd0a704536ba93e0e', '925958fcd6420cad', 'a915c29bc8067318', '952b79f3bc0aa6d4',
  'f21df2e41d4535f9', '87577519048f53a9', '10a56cf5dfcd9adb', 'eb75095ccd986cd0',
  '51a9cb9ecba312e6', '96afadfc2ce666c7', '72fe52975a4364ee', '5a1645b276d592a1',
  'b274cb8ebf87870a', '6f9bb4203de7b381', 'eaecb2a30b22a87f', '9924a43cc1315724',
  'bd838d3aafbf8db7', '0b1a2a3265d51aea', '135079a3231ce660', '932b2846e4d70666',
  'e1915f5cb1eca46c', 'f325965ca16d629f', '575ff28e60381be5', '724506eb4c328a95',
];

const KEY = fromHex('000102030405060708090a0b0c0d0e0f');
const MSG = Uint8Array.from({ length: 64 }, (_, i) => i);

function tagBytes(sip: SipHash24, len: number): string {
  const out = new Uint32Array(2);
  sip.hash(MSG, len, out);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, out[0]!, true);
  new DataView(b.buffer).setUint32(4, out[1]!, true);
  return toHex(b);
}

describe('SipHash-2-4', () => {
  const sip = new SipHash24(KEY);

  it('matches the paper example (Appendix A): 15-byte message, tag a129ca6149be45e5', () => {
    expect(sip.hashBigInt(MSG, 15)).toBe(0xa129ca6149be45e5n);
  });

  it('matches all 64 reference vectors (message lengths 0..63)', () => {
    for (let len = 0; len < 64; len++) expect(tagBytes(sip, len), `length ${len}`).toBe(VECTORS[len]);
  });

  it('returns the low 32 bits of the tag', () => {
    // Vector 8: tag bytes 62 24 93 9a 79 f5 f5 93 -> low word 0x9a932462.
    expect(sip.hash(MSG, 8)).toBe(0x9a932462);
  });

  it('rejects a key that is not 16 bytes and a length beyond the message', () => {
    expect(() => new SipHash24(new Uint8Array(15))).toThrow(RangeError);
    expect(() => sip.hash(MSG.subarray(0, 4), 5)).toThrow(RangeError);
  });
});

describe('KeyedHasher', () => {
  it('hashes the little-endian words it is given, like SipHash over the same bytes', () => {
    const h = new KeyedHasher(KEY);
    // Words 0x03020100 and 0x07060504 are bytes 00..07 in little-endian order.
    const got = h.reset().u32(0x03020100).u32(0x07060504).digest32();
    expect(got).toBe(new SipHash24(KEY).hash(MSG, 8));
    expect(h.lastHigh32).toBe(0x93f5f579);
  });

  it('lays out IPv4 as 4 bytes and IPv6 as 16 bytes', () => {
    const h = new KeyedHasher(KEY);
    const v4 = h.reset().address(0x03020100).digest32();
    expect(v4).toBe(new SipHash24(KEY).hash(MSG, 4));
    const v6 = h.reset().address(MSG.slice(0, 16)).digest32();
    expect(v6).toBe(new SipHash24(KEY).hash(MSG, 16));
  });

  it('is keyed from the injected RandomSource, so the same seed gives the same hash', () => {
    const a = KeyedHasher.fromRandom(new SeededRandom(7)).reset().u32(1).digest32();
    const b = KeyedHasher.fromRandom(new SeededRandom(7)).reset().u32(1).digest32();
    const c = KeyedHasher.fromRandom(new SeededRandom(8)).reset().u32(1).digest32();
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('refuses messages longer than its 64-byte buffer (programmer error)', () => {
    const h = new KeyedHasher(KEY).reset();
    for (let i = 0; i < 16; i++) h.u32(i);
    expect(() => h.u32(0)).toThrow(RangeError);
  });
});
