// Runs inside a network namespace (`ip netns exec NS node native-child.mjs ADDON OP NAME`)
// so that the addon's by-name ioctls and device creation act on that namespace,
// never on the host's. Prints one JSON line with the outcome.
//
// OPs:
//   busy       open NAME twice; report the second open's error
//   wrong-kind open 'lo' as a TUN; report the error
//   multiqueue open NAME twice with IFF_MULTI_QUEUE, then once without
//   configure  open NAME, set MTU 1400, add 192.0.2.1/24 and 2001:db8::1/64, bring it up
//              by ioctl; print, then hold the device until stdin closes
import { createRequire } from 'node:module';

const [addonPath, op, name] = process.argv.slice(2);
const tun = createRequire(import.meta.url)(addonPath);

function errorOf(fn) {
  try {
    fn();
    return null;
  } catch (e) {
    return { code: e.code, syscall: e.syscall, errno: e.errno, message: e.message };
  }
}

const fds = [];
function open(n, tap, mq) {
  const r = tun.open(n, tap, mq);
  fds.push(r.fd);
  return r;
}
function print(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

if (op === 'busy') {
  open(name, false, false);
  print({ error: errorOf(() => open(name, false, false)) });
} else if (op === 'wrong-kind') {
  print({ error: errorOf(() => open('lo', false, false)) });
} else if (op === 'multiqueue') {
  const a = open(name, false, true);
  const b = open(name, false, true);
  const info = tun.adopt(b.fd);
  print({ names: [a.name, b.name], adopted: info, error: errorOf(() => open(name, false, false)) });
} else if (op === 'configure') {
  const r = open(name, false, false);
  tun.setMtu(name, 1400);
  tun.addAddress4(name, 0xc0000201, 24);
  tun.addAddress6(name, Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 64);
  tun.setUp(name, true);
  print({ name: r.name, configured: true });
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
} else {
  print({ error: { message: `unknown op ${op}` } });
}
for (const fd of fds) tun.close(fd);
