import { VirtualClock } from '../../src/core/clock.js';
import type { NetInterface } from '../../src/ip/interface.js';
import { createMemoryPair, type MemoryPairOptions } from '../../src/link/memory-link.js';
import { Stack } from '../../src/stack.js';
import { Recorder } from './recorder.js';

/** Two stacks back to back on the in-memory link: a = 192.0.2.1, b = 192.0.2.2, each link recorded. */
export function twoStacks(link: MemoryPairOptions = {}): { clock: VirtualClock; a: Stack; b: Stack; ra: Recorder; rb: Recorder } {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, link);
  const ra = new Recorder(la, clock);
  const rb = new Recorder(lb, clock);
  const a = new Stack({ clock, seed: 1, id: 'a' });
  const b = new Stack({ clock, seed: 2, id: 'b' });
  a.addInterface(ra, { ipv4: ['192.0.2.1/24'] });
  b.addInterface(rb, { ipv4: ['192.0.2.2/24'] });
  return { clock, a, b, ra, rb };
}

/**
 * One stack (192.0.2.2) with packets injected straight into its interface and
 * everything it sends collected from the far end of its link.
 */
export function stackUnderTest(link: MemoryPairOptions = {}): {
  clock: VirtualClock;
  stack: Stack;
  iface: NetInterface;
  out: Uint8Array[];
  inject: (packet: Uint8Array, advanceUs?: number) => void;
} {
  const clock = new VirtualClock();
  const [mine, theirs] = createMemoryPair(clock, link);
  const out: Uint8Array[] = [];
  theirs.setReceiver((f) => out.push(f.slice()));
  const stack = new Stack({ clock, seed: 5, id: 'sut' });
  const iface = stack.addInterface(mine, { ipv4: ['192.0.2.2/24'] });
  return {
    clock,
    stack,
    iface,
    out,
    inject: (packet, advanceUs = 10) => {
      stack.ip.receiveFrame(iface, packet);
      clock.advance(advanceUs);
    },
  };
}
