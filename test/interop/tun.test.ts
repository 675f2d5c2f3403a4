/**
 * The native TUN/TAP binding and TunLink against the real Linux kernel.
 *
 * Each suite creates its own network namespace, opens the device in this
 * process, moves it into the namespace and configures the kernel's side
 * there (192.0.2.1/24, 2001:db8::1/64); this process plays 192.0.2.2 /
 * 2001:db8::2 with hand-built bytes.
 * Nothing is configured in the host namespace. Namespaces are deleted in
 * afterAll (and by netns.ts's exit handlers if the process dies).
 */
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readU16, toHex } from '../../src/core/bytes.js';
import { internetChecksum } from '../../src/ip/checksum.js';
import { listNetns, Netns, randomDeviceName } from '../../src/link/netns.js';
import { TunLink } from '../../src/link/tun-link.js';
import { isTunNativeError, loadTunNative, probeTunNative } from '../../src/link/tun-native.js';
import {
  arpReplyFor,
  echo6ReplyFor,
  echoReplyFor,
  ETH_P_IP,
  ethernet,
  FrameQueue,
  isArpRequestFor,
  isEcho6RequestTo,
  isEchoRequestTo,
  isIPv4Frame,
  STACK_V4,
  STACK_V6,
  udpV4,
  KERNEL_V4,
  v4,
} from './frames.js';
import { describeInterop } from './tun-gate.js';

const CHILD = fileURLToPath(new URL('./native-child.mjs', import.meta.url));

/** Deletes a namespace and checks that `ip netns list` no longer shows it. */
async function deleteAndCheck(ns: Netns | undefined): Promise<void> {
  if (ns === undefined) return;
  await ns.delete();
  expect(await listNetns()).not.toContain(ns.name);
}

function pingArgs(count: number): string[] {
  return ['-c', String(count), '-i', '0.2', '-W', '1', '192.0.2.2'];
}

/** Resolves once `n` items were pushed to the returned array, or rejects after `ms`. */
function collector<T>(n: number, ms = 10_000): { items: T[]; push: (x: T) => void; done: Promise<T[]> } {
  const items: T[] = [];
  let finish: (v: T[]) => void = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    finish = resolve;
    setTimeout(() => reject(new Error(`collected ${items.length} of ${n}`)), ms);
  });
  return {
    items,
    done,
    push: (x) => {
      items.push(x);
      if (items.length === n) finish(items);
    },
  };
}

describeInterop('TUN link against the Linux kernel', () => {
  let ns: Netns | undefined;
  let link: TunLink | undefined;
  const queue = new FrameQueue();
  let responder: ((frame: Uint8Array) => void) | null = null;

  beforeAll(async () => {
    ns = await Netns.create();
    link = TunLink.open({ mode: 'tun', name: randomDeviceName(), mtu: 1500 });
    link.setReceiver((frame) => {
      responder?.(frame);
      queue.receive(frame);
    });
    await ns.adoptDevice(link.name, { addresses: ['192.0.2.1/24', '2001:db8::1/64'], mtu: 1500 });
  });

  afterAll(async () => {
    link?.close();
    await deleteAndCheck(ns);
  });

  it('opens an IP-level link with the requested name', () => {
    expect(link!.linkType).toBe('ip');
    expect(link!.mac).toBeUndefined();
    expect(link!.name).toMatch(/^tsip[0-9a-f]{10}$/);
  });

  it("answers the kernel's pings with hand-built echo replies (3/3 received)", async () => {
    const seqs: number[] = [];
    responder = (frame) => {
      if (!isEchoRequestTo(frame, STACK_V4)) return;
      seqs.push(readU16(frame, 20 + 6));
      link!.send(echoReplyFor(frame));
    };
    const r = await ns!.exec('ping', pingArgs(3));
    responder = null;
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(r.code).toBe(0);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it("answers the kernel's IPv6 pings with hand-built ICMPv6 echo replies (3/3 received)", async () => {
    const seqs: number[] = [];
    responder = (frame) => {
      if (!isEcho6RequestTo(frame, STACK_V6)) return;
      seqs.push(readU16(frame, 40 + 6));
      link!.send(echo6ReplyFor(frame));
    };
    const r = await ns!.exec('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '1', '2001:db8::2']);
    responder = null;
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('delivers a datagram sent by the kernel as the exact IPv4/UDP bytes', async () => {
    const arrival = queue.next((f) => {
      const h = v4(f);
      return h !== null && h.protocol === 17 && h.dst === STACK_V4 && readU16(f, h.ihl + 2) === 7777;
    });
    const py = [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      "s.bind(('192.0.2.1', 40000))",
      "s.sendto(b'hello tsip', ('192.0.2.2', 7777))",
    ].join('\n');
    const r = await ns!.exec('python3', ['-c', py]);
    expect(r.stderr).toBe('');
    const got = await arrival;
    // Linux picks the IP ID per packet (not predictable for an unconnected
    // socket), so ID and header checksum are compared apart from the rest.
    // UDP checksum 0x9f4e worked out independently (RFC 768 pseudo-header).
    const masked = Uint8Array.from(got);
    masked.fill(0, 4, 6);
    masked.fill(0, 10, 12);
    expect(toHex(masked)).toBe(
      '45000026' + '00004000' + '40110000' + 'c0000201' + 'c0000202' + '9c401e61' + '00129f4e' + '68656c6c6f2074736970',
    );
    expect(internetChecksum(got, 0, 20)).toBe(0);
  });

  it('receives a burst of 200 datagrams from the kernel complete and in order', async () => {
    const c = collector<number>(200);
    responder = (frame) => {
      const h = v4(frame);
      if (h !== null && h.protocol === 17 && readU16(frame, h.ihl + 2) === 7778) {
        c.push(((frame[h.ihl + 8]! << 8) | frame[h.ihl + 9]!) >>> 0);
      }
    };
    const before = link!.stats();
    const py = [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for i in range(200):',
      "    s.sendto(i.to_bytes(2, 'big') + bytes(62), ('192.0.2.2', 7778))",
    ].join('\n');
    const r = await ns!.exec('python3', ['-c', py]);
    expect(r.code).toBe(0);
    const seqs = await c.done;
    responder = null;
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const after = link!.stats();
    expect(after.rxFrames - before.rxFrames).toBeGreaterThanOrEqual(200);
    expect(after.rxBytes - before.rxBytes).toBeGreaterThanOrEqual(200 * 92);
  });

  it('writes 200 datagrams sent in one turn with a single native call, all received in order', async () => {
    const py = [
      'import socket, json',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE',
      "s.bind(('192.0.2.1', 9000))",
      's.settimeout(3)',
      "print('ready', flush=True)",
      'got = []',
      'try:',
      '    while len(got) < 200:',
      '        d, a = s.recvfrom(2048)',
      "        got.append(int.from_bytes(d[:2], 'big'))",
      'except socket.timeout:',
      '    pass',
      'print(json.dumps(got), flush=True)',
    ].join('\n');
    const child = ns!.spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.startsWith('ready\n')) resolve();
      });
      void exited.then(() => reject(new Error(`receiver exited before it was ready: ${err}`)));
    });
    await ready;
    const before = link!.stats();
    for (let i = 0; i < 200; i++) {
      const payload = new Uint8Array(32);
      payload[0] = i >> 8;
      payload[1] = i & 0xff;
      link!.send(udpV4(STACK_V4, KERNEL_V4, 50000, 9000, payload, i));
    }
    // Nothing is written until the microtask that flushes the turn's sends.
    expect(link!.stats().txCalls).toBe(before.txCalls);
    expect(await exited).toBe(0);
    const got = JSON.parse(out.slice('ready\n'.length)) as number[];
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const after = link!.stats();
    expect(after.txCalls - before.txCalls).toBe(1);
    expect(after.txFrames - before.txFrames).toBe(200);
    expect(after.txBytes - before.txBytes).toBe(200 * 60);
  });

  it('drops and counts a frame longer than the MTU', () => {
    const before = link!.stats();
    link!.send(new Uint8Array(1501));
    link!.flush();
    const after = link!.stats();
    expect(after.txDropsOversize - before.txDropsOversize).toBe(1);
    expect(after.txCalls).toBe(before.txCalls);
  });

  it('reports the device vanishing through onError and counts later sends as drops', async () => {
    let reported: (e: Error) => void = () => {};
    const errored = new Promise<Error>((resolve) => (reported = resolve));
    const second = TunLink.open({ name: randomDeviceName(), onError: (e) => reported(e), sendBatching: 'none' });
    try {
      await ns!.adoptDevice(second.name, { addresses: ['198.51.100.1/24'] });
      second.setReceiver(() => {});
      await ns!.ip(['link', 'del', 'dev', second.name]);
      const err = (await errored) as Error & { code?: string; syscall?: string };
      expect(err.code).toBe('EBADF');
      expect(err.syscall).toBe('read');
      expect(second.stats().rxErrors).toBe(1);
      second.send(udpV4(0xc6336402, 0xc6336401, 1, 2, new Uint8Array(4)));
      expect(second.stats().txDropsError).toBe(1);
      expect(second.stats().txFrames).toBe(0);
    } finally {
      second.close();
    }
  });

  it('close() removes the device; later sends are dropped silently', async () => {
    const name = link!.name;
    link!.close();
    expect(link!.isClosed).toBe(true);
    await expect(ns!.ip(['link', 'show', 'dev', name])).rejects.toThrow(/does not exist/);
    link!.send(new Uint8Array(20));
    expect(link!.stats().txDropsClosed).toBe(1);
    link!.close(); // idempotent
  });
});

describeInterop('TAP link against the Linux kernel', () => {
  let ns: Netns | undefined;
  let link: TunLink | undefined;
  let responder: ((frame: Uint8Array) => void) | null = null;

  beforeAll(async () => {
    ns = await Netns.create();
    // Open with the raw addon and adopt the descriptor, as a process handed a
    // descriptor by a privileged parent (--tun-fd) would.
    const native = loadTunNative();
    const { fd, name } = native.open(randomDeviceName(), true, false);
    try {
      link = TunLink.adopt(fd, { mtu: 1500, rxDelivery: 'owned', sendBatching: 'none' });
    } catch (e) {
      native.close(fd);
      throw e;
    }
    link.setReceiver((frame) => responder?.(frame));
    await ns.adoptDevice(name, { addresses: ['192.0.2.1/24'], mtu: 1500 });
  });

  afterAll(async () => {
    link?.close();
    await deleteAndCheck(ns);
  });

  it("is an Ethernet link that knows the kernel's MAC and has a distinct one of its own", async () => {
    expect(link!.linkType).toBe('ethernet');
    const shown = JSON.parse(await ns!.ip(['-j', 'link', 'show', 'dev', link!.name])) as { address: string }[];
    expect(toHex(link!.kernelMac!, ':')).toBe(shown[0]!.address);
    expect(link!.mac!.length).toBe(6);
    expect(toHex(link!.mac!)).not.toBe(toHex(link!.kernelMac!));
    expect(link!.mac![0]! & 0x03).toBe(0x02); // locally administered unicast
  });

  it('answers the ARP request, then the pings (3/3 received)', async () => {
    const ours = link!.mac!;
    const kernel = link!.kernelMac!;
    const arpRequests: Uint8Array[] = [];
    const seqs: number[] = [];
    responder = (frame) => {
      if (isArpRequestFor(frame, STACK_V4)) {
        arpRequests.push(Uint8Array.from(frame));
        link!.send(arpReplyFor(frame, ours));
        return;
      }
      if (!isIPv4Frame(frame) || toHex(frame.subarray(0, 6)) !== toHex(ours)) return;
      const ip = frame.subarray(14);
      if (!isEchoRequestTo(ip, STACK_V4)) return;
      seqs.push(readU16(ip, 26));
      link!.send(ethernet(frame.subarray(6, 12), ours, ETH_P_IP, echoReplyFor(ip)));
    };
    const r = await ns!.exec('ping', pingArgs(3));
    responder = null;
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(seqs).toEqual([1, 2, 3]);
    // RFC 826 request: broadcast, sender = the kernel, target hardware address unknown (zero).
    expect(arpRequests.length).toBeGreaterThanOrEqual(1);
    expect(toHex(arpRequests[0]!)).toBe(
      'ffffffffffff' + toHex(kernel) + '0806' + '0001080006040001' + toHex(kernel) + 'c0000201' + '000000000000' + 'c0000202',
    );
    const neigh = await ns!.ip(['neigh', 'show', '192.0.2.2', 'dev', link!.name]);
    expect(neigh).toContain(`lladdr ${toHex(ours, ':')}`);
  });
});

describeInterop('TUN/TAP error paths and ioctl configuration', () => {
  let ns: Netns | undefined;
  const addon = probeTunNative();
  const addonPath = addon.ok ? addon.path : '';

  /** Runs test/interop/native-child.mjs inside the namespace and parses its JSON line. */
  async function child(op: string, name: string): Promise<Record<string, unknown>> {
    const r = await ns!.exec(process.execPath, [CHILD, addonPath, op, name]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    ns = await Netns.create();
    await ns.loopbackUp();
  });

  afterAll(async () => {
    await deleteAndCheck(ns);
  });

  it('opening a name that another descriptor holds fails with EBUSY and says so', async () => {
    const name = randomDeviceName();
    const { error } = (await child('busy', name)) as { error: { code: string; syscall: string; errno: number; message: string } };
    expect(error.code).toBe('EBUSY');
    expect(error.syscall).toBe('TUNSETIFF');
    expect(error.errno).toBe(-16);
    expect(error.message).toBe(`TUN device name '${name}' is busy: another descriptor has it open`);
  });

  it('opening the name of a device that is not TUN/TAP fails with EINVAL', async () => {
    const { error } = (await child('wrong-kind', 'lo')) as { error: { code: string; message: string } };
    expect(error.code).toBe('EINVAL');
    expect(error.message).toMatch(/^cannot attach TUN device 'lo'/);
  });

  it('attaches several descriptors to one multi-queue device, and refuses a single-queue open of it', async () => {
    const name = randomDeviceName();
    const r = (await child('multiqueue', name)) as {
      names: string[];
      adopted: { name: string; tap: boolean; multiQueue: boolean };
      error: { code: string };
    };
    expect(r.names).toEqual([name, name]);
    expect(r.adopted).toMatchObject({ name, tap: false, multiQueue: true });
    expect(r.error.code).toBe('EINVAL');
  });

  it('configures MTU, addresses and the up flag by ioctl in the namespace it runs in', async () => {
    const name = randomDeviceName();
    const proc = ns!.spawn(process.execPath, [CHILD, addonPath, 'configure', name], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        proc.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out);
        });
        proc.on('close', () => reject(new Error(`child exited early: ${out}`)));
      });
      expect(JSON.parse(line)).toEqual({ name, configured: true });
      const [dev] = JSON.parse(await ns!.ip(['-j', 'addr', 'show', 'dev', name])) as {
        mtu: number;
        flags: string[];
        addr_info: { family: string; local: string; prefixlen: number }[];
      }[];
      expect(dev!.mtu).toBe(1400);
      expect(dev!.flags).toContain('UP');
      const addrs = dev!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
      expect(addrs).toContain('192.0.2.1/24');
      expect(addrs).toContain('2001:db8::1/64');
    } finally {
      proc.stdin!.end();
    }
    expect(await exited).toBe(0);
    // The child closed its descriptor: the non-persistent device is gone.
    await expect(ns!.ip(['link', 'show', 'dev', name])).rejects.toThrow(/does not exist/);
  });

  it('adopting a descriptor that is not an attached TUN/TAP fails with the errno', () => {
    const native = loadTunNative();
    const codeOf = (fd: number): [string, string, string] => {
      try {
        native.adopt(fd);
      } catch (e) {
        if (!isTunNativeError(e)) throw e;
        return [e.code, e.syscall, e.message];
      }
      throw new Error('adopt succeeded');
    };
    expect(codeOf(-1)).toEqual(['EBADF', 'fcntl', 'fd -1 is not an open descriptor: Bad file descriptor']);
    const devNull = openSync('/dev/null', 'r');
    const unattached = openSync('/dev/net/tun', 'r+');
    try {
      const [code, syscall, message] = codeOf(devNull);
      expect([code, syscall]).toEqual(['ENOTTY', 'TUNGETIFF']);
      expect(message).toContain('is not a TUN/TAP descriptor');
      const [code2, , message2] = codeOf(unattached);
      expect(code2).toBe('EBADFD');
      expect(message2).toContain('not attached to a device');
    } finally {
      closeSync(devNull);
      closeSync(unattached);
    }
    expect(() => TunLink.adopt(-1)).toThrow(/is not an open descriptor/);
  });

  it('rejects a device name longer than 15 bytes before asking the kernel', () => {
    let caught: unknown;
    try {
      TunLink.open({ name: 'tsip-name-too-long' });
    } catch (e) {
      caught = e;
    }
    expect(isTunNativeError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('EINVAL');
    expect((caught as Error).message).toBe("interface name 'tsip-name-too-long' is too long (at most 15 bytes)");
  });
});
