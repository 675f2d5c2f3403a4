/**
 * POSIX errno values with Linux's numbers (asm-generic/errno-base.h and
 * errno.h), so that the BSD facade returns what a C program on Linux sees.
 */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EMFILE: 24, ENOSPC: 28, EPIPE: 32,
  EDESTADDRREQ: 89, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103,
  ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ESHUTDOWN: 108, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
  ENOTSOCK: 88, ECANCELED: 125, ENOTSUP: 95, EWOULDBLOCK: 11, EPROTO: 71, ENONET: 64, ENOTTY: 25, EDOM: 33,
} as const;

/** An errno name such as `'ECONNREFUSED'`. */
export type ErrnoCode = keyof typeof ERRNO;

const MESSAGES: Partial<Record<ErrnoCode, string>> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', EINTR: 'Interrupted system call',
  EBADF: 'Bad file descriptor', EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory',
  EBUSY: 'Device or resource busy', EINVAL: 'Invalid argument', EMFILE: 'Too many open files',
  EPIPE: 'Broken pipe', EMSGSIZE: 'Message too long', ENOPROTOOPT: 'Protocol not available',
  EPROTONOSUPPORT: 'Protocol not supported', EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol', EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address', ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort', ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available', EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected', ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused', EHOSTUNREACH: 'No route to host',
  EALREADY: 'Operation already in progress', EINPROGRESS: 'Operation now in progress',
  ENOTSOCK: 'Socket operation on non-socket', EDESTADDRREQ: 'Destination address required',
  ECANCELED: 'Operation canceled', ENODEV: 'No such device', EPROTO: 'Protocol error',
  EHOSTDOWN: 'Host is down', ENONET: 'Machine is not on the network', ENOTTY: 'Inappropriate ioctl for device',
  EDOM: 'Numerical argument out of domain',
};

/** The strerror() text for an errno name. */
export function strerror(code: ErrnoCode): string {
  return MESSAGES[code] ?? code;
}

/**
 * A failed socket call, shaped as Node shapes system errors: `code` is the
 * errno name, `errno` its (negative, as libuv reports) number, `syscall` the
 * call that failed.
 */
export class SocketError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;
  readonly syscall: string;
  address?: string;
  port?: number;

  constructor(code: ErrnoCode, syscall: string, detail?: string) {
    super(`${syscall} ${code}${detail ? ` ${detail}` : ''}`);
    this.name = 'SocketError';
    this.code = code;
    this.errno = -ERRNO[code];
    this.syscall = syscall;
  }
}
