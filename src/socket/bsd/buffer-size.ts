import { MAX_SOCKET_BUFFER, MIN_RCVBUF, MIN_SNDBUF } from '../../udp/datagram-queue.js';

/**
 * SO_RCVBUF / SO_SNDBUF as Linux's sock_setsockopt computes them: the int is
 * taken as unsigned and clamped to net.core.rmem_max / wmem_max (so a
 * negative request means "the maximum"), then doubled — half is for the
 * kernel's bookkeeping, and getsockopt reports the doubled value — and
 * raised to the minimum.
 */
export function linuxBufferSize(requested: number, kind: 'rcv' | 'snd'): number {
  const u32 = requested >>> 0;
  const v = Math.min(u32, MAX_SOCKET_BUFFER);
  return Math.max(v * 2, kind === 'rcv' ? MIN_RCVBUF : MIN_SNDBUF);
}
