import type { Stack } from '../../stack.js';
import type { TcpConnection } from '../../tcp/connection.js';
import type { TcpListener } from '../../tcp/listener.js';

/**
 * Serves TCP echo (RFC 862) on `port`: what a client sends comes back, and
 * its half-close is echoed as our FIN. Reading pauses while the reply cannot
 * be written, so a client that does not read is slowed by TCP's own window.
 */
export function serveTcpEcho(stack: Stack, port: number): TcpListener {
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

/** Serves TCP discard (RFC 863) on `port`: everything is read and dropped; the client's FIN is answered with ours. */
export function serveTcpDiscard(stack: Stack, port: number): TcpListener {
  return serveTcp(stack, port, (c) => {
    const drain = (): void => {
      while (c.read(1 << 20).length > 0);
      if (c.readEnded && c.stateName === 'CLOSE-WAIT') c.shutdown('write');
    };
    c.setHandler({ onReadable: drain, onPeerFin: drain });
    drain();
  });
}

function serveTcp(stack: Stack, port: number, serve: (c: TcpConnection) => void): TcpListener {
  const l = stack.tcp.listen({ port, backlog: 128 });
  l.setHandler({
    onConnection: () => {
      for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
    },
  });
  return l;
}
