/**
 * TunLink's batching and accounting against a scripted stand-in for the
 * native addon (no kernel, no root). The real addon is exercised by
 * test/interop/tun.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TunLink } from '../../../src/link/tun-link.js';
import type { TunNative, TunWatcherHandle } from '../../../src/link/tun-native.js';

const MAX_FRAME = 65553;

interface Call {
  fn: string;
  args: unknown[];
}

/** A fake addon: records calls, lets the test script write results and fire read batches. */
class FakeNative implements TunNative {
  readonly MAX_FRAME = MAX_FRAME;
  readonly calls: Call[] = [];
  /** errno to return for the i-th frame written (default 0). */
  writeResults: number[] = [];
  written: Uint8Array[] = [];
  mac: Uint8Array = Uint8Array.from([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
  private shared: { buffer: ArrayBuffer; lengths: Int32Array; max: number; cb: (n: number) => void } | null = null;
  private owned: { max: number; cb: (n: number, f?: Buffer[]) => void } | null = null;
  private nextWrite = 0;

  private record(fn: string, ...args: unknown[]): void {
    this.calls.push({ fn, args });
  }
  private writeOne(frame: Uint8Array): number {
    const r = this.writeResults[this.nextWrite++] ?? 0;
    if (r === 0) this.written.push(Uint8Array.from(frame));
    return r;
  }
  open(name: string, tap: boolean, multiQueue: boolean) {
    this.record('open', name, tap, multiQueue);
    return { fd: 42, name: name === '' ? (tap ? 'tap0' : 'tun0') : name };
  }
  adopt(fd: number) {
    this.record('adopt', fd);
    return { fd, name: 'tap7', tap: true, multiQueue: false };
  }
  close(fd: number): void {
    this.record('close', fd);
  }
  setMtu(name: string, mtu: number): void {
    this.record('setMtu', name, mtu);
  }
  setUp(name: string, up: boolean): void {
    this.record('setUp', name, up);
  }
  addAddress4(name: string, address: number, prefixLength: number): void {
    this.record('addAddress4', name, address, prefixLength);
  }
  addAddress6(name: string, address: Uint8Array, prefixLength: number): void {
    this.record('addAddress6', name, Array.from(address), prefixLength);
  }
  getMac(fd: number): Buffer {
    this.record('getMac', fd);
    return Buffer.from(this.mac);
  }
  setMac(fd: number, mac: Uint8Array): void {
    this.record('setMac', fd, mac);
  }
  write(fd: number, frame: Uint8Array): number {
    this.record('write', fd, frame.length);
    return this.writeOne(frame);
  }
  writeMany(fd: number, frames: readonly Uint8Array[], count: number, status: Int32Array): number {
    this.record('writeMany', fd, count);
    let sent = 0;
    for (let i = 0; i < count; i++) {
      status[i] = this.writeOne(frames[i]!);
      if (status[i] === 0) sent++;
    }
    return sent;
  }
  watchShared(fd: number, buffer: ArrayBuffer, lengths: Int32Array, maxFrames: number, cb: (n: number) => void): TunWatcherHandle {
    this.record('watchShared', fd, buffer.byteLength, lengths.length, maxFrames);
    this.shared = { buffer, lengths, max: maxFrames, cb };
    return {} as TunWatcherHandle;
  }
  watchBuffers(fd: number, maxFrames: number, cb: (n: number, f?: Buffer[]) => void): TunWatcherHandle {
    this.record('watchBuffers', fd, maxFrames);
    this.owned = { max: maxFrames, cb };
    return {} as TunWatcherHandle;
  }
  unwatch(): void {
    this.record('unwatch');
    this.shared = null;
    this.owned = null;
  }
  ref(_h: TunWatcherHandle, keepAlive: boolean): void {
    this.record('ref', keepAlive);
  }

  /** Simulates one wake-up that read `frames` (as the C watcher would lay them out). */
  fire(frames: Uint8Array[]): void {
    if (this.shared !== null) {
      const view = new Uint8Array(this.shared.buffer);
      let off = 0;
      frames.forEach((f, i) => {
        view.set(f, off);
        this.shared!.lengths[i] = f.length;
        off += f.length;
      });
      this.shared.cb(frames.length);
    } else if (this.owned !== null) {
      this.owned.cb(frames.length, frames.map((f) => Buffer.from(f)));
    } else {
      throw new Error('not watching');
    }
  }
  fail(errno: number): void {
    if (this.shared !== null) this.shared.cb(-errno);
    else this.owned?.cb(-errno);
  }
  names(): string[] {
    return this.calls.map((c) => c.fn);
  }
}

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);
const frame = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('TunLink transmit', () => {
  it('writes all frames sent in one turn with one writeMany from a microtask', async () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, name: 'tsip0' });
    link.send(frame(40, 1));
    link.send(frame(50, 2));
    link.send(frame(60, 3));
    expect(fake.names()).toEqual(['open']);
    await Promise.resolve();
    expect(fake.calls.at(-1)).toEqual({ fn: 'writeMany', args: [42, 3] });
    expect(fake.written.map((f) => [f.length, f[0]])).toEqual([[40, 1], [50, 2], [60, 3]]);
    expect(link.stats()).toMatchObject({ txFrames: 3, txBytes: 150, txCalls: 1 });
  });

  it('uses a single write() when only one frame is queued', async () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake });
    link.send(frame(20, 9));
    await Promise.resolve();
    expect(fake.calls.at(-1)).toEqual({ fn: 'write', args: [42, 20] });
    expect(link.name).toBe('tun0');
  });

  it('counts EAGAIN as queue-full drops and other errors as error drops, never throwing', async () => {
    const fake = new FakeNative();
    fake.writeResults = [0, 11, 22, 0];
    const link = TunLink.open({ native: fake });
    for (let i = 0; i < 4; i++) link.send(frame(10 + i, i));
    await Promise.resolve();
    expect(link.stats()).toMatchObject({ txFrames: 2, txBytes: 10 + 13, txDropsQueueFull: 1, txDropsError: 1 });
  });

  it('flushes at once when maxBatch frames are queued', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, maxBatch: 4 });
    for (let i = 0; i < 5; i++) link.send(frame(30, i));
    expect(fake.calls.filter((c) => c.fn === 'writeMany')).toEqual([{ fn: 'writeMany', args: [42, 4] }]);
    expect(link.stats().txFrames).toBe(4);
  });

  it("writes each frame at once with sendBatching 'none'", () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, sendBatching: 'none' });
    link.send(frame(30, 1));
    link.send(frame(31, 2));
    expect(fake.names()).toEqual(['open', 'write', 'write']);
    expect(link.stats()).toMatchObject({ txFrames: 2, txCalls: 2 });
  });

  it('drops frames over the MTU (plus 14 on TAP) and counts them', () => {
    const tun = TunLink.open({ native: new FakeNative(), mtu: 1280, sendBatching: 'none' });
    tun.send(frame(1281, 0));
    tun.send(frame(1280, 0));
    expect(tun.stats()).toMatchObject({ txDropsOversize: 1, txFrames: 1 });
    const tap = TunLink.open({ native: new FakeNative(), mode: 'tap', mtu: 1280, sendBatching: 'none' });
    tap.send(frame(1294, 0));
    tap.send(frame(1295, 0));
    expect(tap.stats()).toMatchObject({ txDropsOversize: 1, txFrames: 1 });
  });

  it('close() writes what is queued, then unwatches and closes the descriptor once', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake });
    link.setReceiver(() => {});
    link.send(frame(20, 1));
    link.close();
    link.close();
    expect(fake.names()).toEqual(['open', 'watchShared', 'write', 'unwatch', 'close']);
    link.send(frame(20, 1));
    expect(link.stats()).toMatchObject({ txFrames: 1, txDropsClosed: 1 });
  });
});

describe('TunLink receive', () => {
  it('starts watching with the first receiver and hands each frame of a batch over in order', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, maxBatch: 8, mtu: 1500 });
    expect(fake.names()).toEqual(['open']);
    const got: string[] = [];
    link.setReceiver((f) => got.push(Array.from(f).join(',')));
    expect(fake.calls[1]).toEqual({ fn: 'watchShared', args: [42, 8 * 1500 + MAX_FRAME, 8, 8] });
    fake.fire([bytes(1, 2, 3), bytes(4), bytes(5, 6)]);
    expect(got).toEqual(['1,2,3', '4', '5,6']);
    expect(link.stats()).toMatchObject({ rxFrames: 3, rxBytes: 6, rxBatches: 1 });
  });

  it("delivers separate Buffers with rxDelivery 'owned'", () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, rxDelivery: 'owned' });
    const got: Uint8Array[] = [];
    link.setReceiver((f) => got.push(f));
    fake.fire([bytes(7, 8), bytes(9)]);
    fake.fire([bytes(1, 1)]);
    // Frames stay intact after later batches: the receiver may keep them.
    expect(got.map((f) => Array.from(f))).toEqual([[7, 8], [9], [1, 1]]);
    expect(link.stats()).toMatchObject({ rxFrames: 3, rxBatches: 2 });
  });

  it('counts frames drained while no receiver is installed', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake });
    link.setReceiver(() => {});
    link.setReceiver(null);
    fake.fire([bytes(1), bytes(2)]);
    expect(link.stats()).toMatchObject({ rxFrames: 2, rxDropsNoReceiver: 2 });
  });

  it('stops delivering the rest of a batch when the receiver closes the link', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake });
    const got: number[] = [];
    link.setReceiver((f) => {
      got.push(f[0]!);
      link.close();
    });
    fake.fire([bytes(1), bytes(2), bytes(3)]);
    expect(got).toEqual([1]);
    expect(link.stats().rxDropsNoReceiver).toBe(2);
    expect(fake.names().filter((n) => n === 'close')).toHaveLength(1);
  });

  it('reports a descriptor failure once through onError and does not restart reading', () => {
    const fake = new FakeNative();
    const errors: Error[] = [];
    const link = TunLink.open({ native: fake, onError: (e) => errors.push(e) });
    link.setReceiver(() => {});
    fake.fail(9);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'read' });
    expect(link.stats().rxErrors).toBe(1);
    link.setReceiver(() => {});
    expect(fake.names().filter((n) => n.startsWith('watch'))).toHaveLength(1);
  });

  it('passes ref/unref to the watcher, also when set before watching starts', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake });
    link.unref();
    link.setReceiver(() => {});
    link.ref();
    expect(fake.calls.filter((c) => c.fn === 'ref').map((c) => c.args[0])).toEqual([false, true]);
  });
});

describe('TunLink setup', () => {
  it('TAP: reads the kernel MAC and derives a distinct locally administered MAC of its own', () => {
    const fake = new FakeNative();
    fake.mac = bytes(0x00, 0x16, 0x3e, 0x01, 0x02, 0x03);
    const link = TunLink.open({ native: fake, mode: 'tap', name: 'tsip1' });
    expect(link.linkType).toBe('ethernet');
    expect(Array.from(link.kernelMac!)).toEqual([0x00, 0x16, 0x3e, 0x01, 0x02, 0x03]);
    expect(Array.from(link.mac!)).toEqual([0x02, 0x16, 0x3e, 0x01, 0x02, 0xfc]);
  });

  it('TAP: uses a MAC given by the caller; rejects one that is not 6 bytes and closes the fd', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, mode: 'tap', mac: bytes(2, 0, 0, 0, 0, 1) });
    expect(Array.from(link.mac!)).toEqual([2, 0, 0, 0, 0, 1]);
    const fake2 = new FakeNative();
    expect(() => TunLink.open({ native: fake2, mode: 'tap', mac: bytes(1, 2) })).toThrow(RangeError);
    expect(fake2.names()).toEqual(['open', 'getMac', 'close']);
  });

  it('adopt() takes TUN/TAP and the name from the descriptor', () => {
    const fake = new FakeNative();
    const link = TunLink.adopt(5, { native: fake });
    expect([link.name, link.linkType, link.fd]).toEqual(['tap7', 'ethernet', 5]);
  });

  it('rejects an MTU outside 68..65535', () => {
    expect(() => TunLink.open({ native: new FakeNative(), mtu: 67 })).toThrow(RangeError);
    expect(() => TunLink.open({ native: new FakeNative(), mtu: 65536 })).toThrow(RangeError);
  });

  it('configure() sets the MTU, then the addresses, then the up flag', () => {
    const fake = new FakeNative();
    const link = TunLink.open({ native: fake, name: 'tsip2' });
    link.configure({ mtu: 1400, addresses: ['192.0.2.2/24', '2001:db8::2/64'], up: true });
    expect(fake.calls.slice(1)).toEqual([
      { fn: 'setMtu', args: ['tsip2', 1400] },
      { fn: 'addAddress4', args: ['tsip2', 0xc0000202, 24] },
      { fn: 'addAddress6', args: ['tsip2', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 64] },
      { fn: 'setUp', args: ['tsip2', true] },
    ]);
    expect(() => link.configure({ addresses: ['192.0.2.300/24'] })).toThrow(RangeError);
  });
});
