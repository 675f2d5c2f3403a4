import type { Stack } from '../../stack.js';
import type { TcpConnection } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';

/** A TCP service listening on one port over IPv4 and IPv6. */
export interface TcpService {
  /** The IPv4 and the IPv6 wildcard listener, in that order. */
  readonly listeners: readonly TcpListener[];
  /** Stops both listeners (connections already accepted carry on). */
  close(): void;
}

/**
 * Serves TCP echo (RFC 862) on `port` over IPv4 and IPv6: what a client sends comes back, and
 * its half-close is echoed as our FIN. Reading pauses while the reply cannot
 * be written, so a client that does not read is slowed by TCP's own window.
 */
export function serveTcpEcho(stack: Stack, port: number): TcpService {
  return serveTcp(stack, port, (c) => {
    let pending: Uint8Array | null = null;
    const pump = (): void => {
      for (;;) {
        if (pending !== null) {
          const n = c.write(pending);
          if (n < pending.length) {
            pending = pending.subarray(n);
            return; // onWritable resumes
          }
          pending = null;
        }
        const d = c.read(65536);
        if (d.length === 0) break;
        pending = d;
      }
      if (c.readEnded && c.stateName === 'CLOSE-WAIT') c.shutdown('write');
    };
    c.setHandler({ onReadable: pump, onWritable: pump, onPeerFin: pump });
    pump();
  });
}

/** Serves TCP discard (RFC 863) on `port` (IPv4 and IPv6): everything is read and dropped; the client's FIN is answered with ours. */
export function serveTcpDiscard(stack: Stack, port: number): TcpService {
  return serveTcp(stack, port, (c) => {
    const drain = (): void => {
      while (c.read(1 << 20).length > 0);
      if (c.readEnded && c.stateName === 'CLOSE-WAIT') c.shutdown('write');
    };
    c.setHandler({ onReadable: drain, onPeerFin: drain });
    drain();
  });
}

/**
 * Listens on the IPv4 and the IPv6 wildcard of `port` (two listeners, as
 * the TCP layer keeps the families apart) and hands every accepted
 * connection to `serve`. If the second listen fails, the first is closed
 * before the error propagates.
 */
function serveTcp(stack: Stack, port: number, serve: (c: TcpConnection) => void): TcpService {
  const listeners: TcpListener[] = [];
  try {
    for (const family of [4, 6] as const) listeners.push(stack.tcp.listen({ port, family, backlog: 128 }));
  } catch (e) {
    for (const l of listeners) l.close();
    throw e;
  }
  for (const l of listeners) {
    l.setHandler({
      onConnection: () => {
        for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
      },
    });
  }
  return {
    listeners,
    close(): void {
      for (const l of listeners) l.close();
    },
  };
}
