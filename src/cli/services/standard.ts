import type { Stack } from '../../stack.js';
import { serveHttp, type HttpService } from './http-service.js';
import { serveTcpDiscard, serveTcpEcho } from './tcp-services.js';
import { serveUdpEcho } from './udp-echo.js';

/** The services a stack can run, by port (null = off). */
export interface ServiceSet {
  echo: number | null;
  discard: number | null;
  udpEcho: number | null;
  http: number | null;
}

/** What `tsip serve` runs without flags, and what the `--memory` peer runs: the well-known ports. */
export const STANDARD_SERVICES: Readonly<ServiceSet> = { echo: 7, discard: 9, udpEcho: 7, http: 80 };

/** Services started on a stack: which port each listens on, and how to stop them. */
export interface RunningServices {
  readonly ports: Record<string, number>;
  /** Stops listening and ends the HTTP connections (the stack's close() ends the rest). */
  close(): void;
}

/**
 * Starts the chosen services on `stack`. Throws (or rejects) with the
 * listen error when a port is taken, after undoing what it had started.
 */
export async function startServiceSet(stack: Stack, o: Readonly<ServiceSet>): Promise<RunningServices> {
  const ports: Record<string, number> = {};
  const closers: (() => void)[] = [];
  const close = (): void => {
    for (const c of closers.splice(0)) c();
  };
  try {
    if (o.echo !== null) {
      const svc = serveTcpEcho(stack, o.echo);
      closers.push(() => svc.close());
      ports.echo = o.echo;
    }
    if (o.discard !== null) {
      const svc = serveTcpDiscard(stack, o.discard);
      closers.push(() => svc.close());
      ports.discard = o.discard;
    }
    if (o.udpEcho !== null) {
      const ep = serveUdpEcho(stack, o.udpEcho);
      closers.push(() => ep.close());
      ports['udp-echo'] = o.udpEcho;
    }
    if (o.http !== null) {
      const h: HttpService = await serveHttp(stack, o.http);
      closers.push(() => h.close());
      ports.http = o.http;
    }
  } catch (e) {
    close();
    throw e;
  }
  return { ports, close };
}
