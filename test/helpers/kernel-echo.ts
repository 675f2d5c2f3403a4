/**
 * A Python client for the kernel side of interop tests: pushes 20 MB
 * (a fixed pattern) through the echo service at `host`:7 while reading the
 * echo back, then prints `bytes-received sha256-received sha256-sent`.
 */
export function echoClientScript(host: string): string {
  return [
    'import socket, hashlib, threading',
    'data = bytes((i * 7 + 3) & 0xff for i in range(65536)) * 320',
    `s = socket.create_connection(("${host}", 7), timeout=60)`,
    'h = hashlib.sha256(); got = 0',
    'def send():',
    '    s.sendall(data); s.shutdown(socket.SHUT_WR)',
    't = threading.Thread(target=send); t.start()',
    'while True:',
    '    d = s.recv(1 << 20)',
    '    if not d: break',
    '    h.update(d); got += len(d)',
    't.join()',
    'print(got, h.hexdigest(), hashlib.sha256(data).hexdigest())',
  ].join('\n');
}
