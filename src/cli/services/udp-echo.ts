import type { Stack } from '../../stack.js';
import type { UdpEndpoint } from '../../udp/udp-endpoint.js';

/**
 * Serves UDP echo (RFC 862) on `port`: every datagram goes back to its
 * sender. The endpoint's listener runs inside packet processing and must not
 * call back into the stack, so replies are sent from a microtask.
 */
export function serveUdpEcho(stack: Stack, port: number): UdpEndpoint {
  const ep = stack.udp.open(4);
  const r = ep.bind(0, port);
  if (r !== 'ok') throw new Error(`udp echo: bind port ${port}: ${r}`);
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    for (let d = ep.recv(); d !== null; d = ep.recv()) {
      if (typeof d === 'string') continue; // a pending ICMP error: nothing to answer
      ep.send(d.data, { address: d.srcAddress, port: d.srcPort });
    }
  };
  ep.listener = {
    readable: () => {
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(drain);
      }
    },
  };
  return ep;
}
