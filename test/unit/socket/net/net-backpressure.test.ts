import { afterEach, describe, expect, it } from 'vitest';
import type { NetSocket } from '../../../../src/socket/net/index.js';
import { winFromSpace } from '../../../../src/tcp/config.js';
import { collect, netPair, type NetPair, once, pattern, SERVER_IP, sha256, until } from './fixture.js';

let pair: NetPair | null = null;
afterEach(() => {
  pair?.close();
  pair = null;
});

const CHUNK = 65536;
const TOTAL = 3 << 20;

/**
 * End-to-end backpressure: the server does not read, so TCP's receive buffer
 * fills and its advertised window falls to 0; the client's send buffer then
 * fills, its write callback waits, and write() returns false. Reading again
 * drains everything byte-exact.
 */
describe('backpressure from a reader that stops reading to the writer', { timeout: 30_000 }, () => {
  for (const mode of ['paused (pauseOnConnect)', 'no data listener'] as const) {
    it(`${mode}: window 0, write() false and bytesWritten stalled, then byte-exact after resuming`, async () => {
      pair = netPair();
      const { rmem, wmem } = pair.b.tcp.config;
      let serverSock: NetSocket | null = null;
      const srv = pair.server.createServer({ pauseOnConnect: mode !== 'no data listener' }, (sock) => {
        serverSock = sock;
      });
      srv.listen(0, SERVER_IP);
      await once(srv, 'listening');

      const data = pattern(TOTAL, 5);
      const s = pair.client.connect(srv.address()!.port, SERVER_IP);
      let off = 0;
      let falseAt = -1;
      let drains = 0;
      s.on('drain', () => drains++);
      const writeMore = (): void => {
        while (off < TOTAL) {
          const chunk = data.subarray(off, off + CHUNK);
          off += chunk.length;
          if (!s.write(chunk)) {
            if (falseAt < 0) falseAt = off;
            s.once('drain', writeMore);
            return;
          }
        }
        s.end();
      };
      writeMore();
      await until(() => serverSock !== null, 'accept');
      const srvConn = serverSock!.tcpConnection!;
      const cliConn = (): NonNullable<typeof s.tcpConnection> => s.tcpConnection!;

      // Stall: the server advertises a zero window; the client has nothing in
      // flight and its stream holds bytes TCP would not take.
      await until(() => srvConn.info().rcvWnd === 0 && s.tcpConnection !== null && cliConn().info().sndWnd === 0 &&
        cliConn().info().unacked === 0 && s.writableLength > 0, 'zero window and a blocked writer');
      expect(falseAt).toBeGreaterThan(0);
      const drainsAtStall = drains;
      const srvInfo = srvConn.info();
      const cliInfo = cliConn().info();
      expect(srvInfo.rcvWnd).toBe(0);
      // Nothing was lost on the way: what the client got acknowledged is what
      // the server holds in TCP plus what its stream pulled (at most one read).
      expect(cliInfo.bytesAcked).toBe(srvInfo.recvQ + serverSock!.bytesRead);
      expect(serverSock!.bytesRead).toBeLessThanOrEqual(mode === 'no data listener' ? CHUNK : 0);
      // The receive buffer is full: its window share of rcvbuf (Linux
      // tcp_win_from_space), within a segment (the last window offers are rounded).
      expect(srvConn.rcvBufSize).toBe(rmem[1]);
      expect(srvInfo.recvQ).toBeLessThanOrEqual(winFromSpace(rmem[1]) + srvInfo.rcvMss);
      expect(srvInfo.recvQ).toBeGreaterThan(winFromSpace(rmem[1]) - 2 * srvInfo.rcvMss);
      // The client's send buffer (auto-tuned from wmem[1] up to wmem[2], as
      // Linux does) holds the rest, less than half of it free (else TCP would
      // have asked for more).
      const sndBuf = cliConn().sndBufSize;
      expect(sndBuf).toBeGreaterThanOrEqual(wmem[1]);
      expect(sndBuf).toBeLessThanOrEqual(wmem[2]);
      expect(cliInfo.sendQ).toBeGreaterThan(sndBuf / 2);
      // bytesWritten counts what TCP took plus what waits in the stream: the
      // peer's window + our send buffer + at most the stream's buffer and one chunk.
      const stalled = s.bytesWritten;
      expect(stalled).toBe(off);
      const takenByTcp = cliInfo.bytesAcked + cliInfo.sendQ;
      expect(stalled - takenByTcp).toBeGreaterThan(0);
      expect(stalled - takenByTcp).toBeLessThanOrEqual(s.writableLength);
      expect(s.writableLength).toBeLessThanOrEqual(s.writableHighWaterMark + CHUNK);
      expect(stalled).toBeLessThan(TOTAL);

      // A zero-window probe comes and goes; nothing moves.
      const segsBefore = cliConn().info().segsOut;
      await until(() => cliConn().info().segsOut > segsBefore, 'a zero-window probe');
      expect(s.bytesWritten).toBe(stalled);
      expect(srvConn.info().rcvWnd).toBe(0);
      expect(drains).toBe(drainsAtStall);

      // Resume: everything arrives, in order.
      const got = collect(serverSock!);
      if (mode !== 'no data listener') serverSock!.resume();
      const received = await got;
      expect(received.length).toBe(TOTAL);
      expect(sha256(received)).toBe(sha256(data));
      expect(drains).toBeGreaterThan(0);
      expect(s.bytesWritten).toBe(TOTAL);
      expect(serverSock!.bytesRead).toBe(TOTAL);
    });
  }
});
