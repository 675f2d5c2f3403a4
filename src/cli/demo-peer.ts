import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Netns } from '../link/netns.js';
import type { Stack } from '../stack.js';

/** What the demo's peer does to tsip; each step reports what a person would want to see. */
export interface DemoPeer {
  /** The peer pings tsip; resolves with ping(8)-style output. */
  ping(count: number): Promise<string>;
  /** The peer fetches `path` over HTTP; resolves with the status and body. */
  httpGet(path: string): Promise<{ status: number; body: string }>;
  /** The peer pushes `bytes` through tsip's TCP echo and checks every byte came back. */
  echo(bytes: number): Promise<{ sent: number; received: number; match: boolean; seconds: number }>;
}

/** The byte at offset i of the demo's echo payload. */
function payload(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

/** The Linux kernel in a namespace as the peer: ping(8), curl and python3 run there. */
export function kernelPeer(netns: Netns, stackAddr: string): DemoPeer {
  return {
    ping: async (count) => (await netns.exec('ping', ['-c', String(count), '-i', '0.2', '-W', '2', stackAddr])).stdout,
    httpGet: async (path) => {
      const r = await netns.exec('curl', ['-s', '-m', '10', '-w', '\n%{http_code}', `http://${stackAddr}${path}`]);
      const i = r.stdout.lastIndexOf('\n');
      return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
    },
    echo: async (bytes) => {
      const script = [
        'import socket, hashlib, threading, time, sys',
        `n = ${bytes}`,
        'data = bytes((i * 7 + 3) & 0xff for i in range(n))',
        't0 = time.time()',
        `s = socket.create_connection(("${stackAddr}", 7), timeout=60)`,
        'h = hashlib.sha256(); got = 0',
        'def send():',
        '    s.sendall(data); s.shutdown(socket.SHUT_WR)',
        't = threading.Thread(target=send); t.start()',
        'while True:',
        '    d = s.recv(1 << 20)',
        '    if not d: break',
        '    h.update(d); got += len(d)',
        't.join()',
        'print(got, int(h.hexdigest() == hashlib.sha256(data).hexdigest()), time.time() - t0)',
      ].join('\n');
      const r = await netns.exec('python3', ['-c', script], { timeoutMs: 120_000 });
      const [got, match, secs] = r.stdout.trim().split(' ');
      return { sent: bytes, received: Number(got), match: match === '1', seconds: Number(secs) };
    },
  };
}

/** A second tsip stack as the peer: its own ping, Node's http client and a TCP client over tsip. */
export function stackPeer(peer: Stack, stackAddr: string): DemoPeer {
  return {
    ping: async (count) => {
      let ok = 0;
      const lines: string[] = [];
      for (let seq = 1; seq <= count; seq++) {
        try {
          const r = await peer.ping(stackAddr, { identifier: 0x7e57, sequence: seq, data: new Uint8Array(56), timeoutUs: 2_000_000 });
          ok++;
          lines.push(`64 bytes from ${stackAddr}: icmp_seq=${seq} ttl=${r.ttl} time=${(r.rttUs / 1000).toFixed(3)} ms`);
        } catch (e) {
          lines.push(`icmp_seq=${seq}: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (seq < count) await new Promise((r) => setTimeout(r, 200));
      }
      const loss = Math.round(((count - ok) / count) * 100);
      return `${lines.join('\n')}\n${count} packets transmitted, ${ok} received, ${loss}% packet loss\n`;
    },
    httpGet: (path) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: stackAddr, port: 80, path, createConnection: () => peer.net.connect(80, stackAddr) }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      }),
    echo: (bytes) =>
      new Promise((resolve, reject) => {
        const data = payload(bytes);
        const t0 = performance.now();
        const h = createHash('sha256');
        let got = 0;
        const s = peer.net.connect({ port: 7, host: stackAddr, allowHalfOpen: true });
        s.on('data', (d: Buffer) => {
          h.update(d);
          got += d.length;
        });
        s.on('end', () => {
          const match = got === bytes && h.digest('hex') === createHash('sha256').update(data).digest('hex');
          resolve({ sent: bytes, received: got, match, seconds: (performance.now() - t0) / 1000 });
          s.destroy();
        });
        s.on('error', reject);
        s.end(data);
      }),
  };
}
