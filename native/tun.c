/*
 * tsip_tun: the smallest native piece tsip needs to use Linux TUN/TAP devices
 * from Node.js. N-API only (node_api.h + libuv from Node's own headers).
 *
 * What lives here and why:
 *  - open/adopt a TUN (IFF_TUN) or TAP (IFF_TAP) descriptor, always IFF_NO_PI
 *    (frames are bare IP packets / Ethernet frames) and always non-blocking;
 *  - interface ioctls (MTU, up/down, IPv4/IPv6 addresses, MAC) for callers
 *    that configure the device in their own namespace;
 *  - a readiness watcher: a uv_poll_t on the descriptor that, on each wake-up,
 *    read()s every ready frame (up to a bound) into one batch and calls JS once.
 *    Node's asynchronous fs.read goes through the threadpool per packet and
 *    manages ~70 k packets/s; draining on the main thread is ~10x that.
 *  - write one frame, or many frames in one call. writev() would glue the
 *    frames into ONE packet on a TUN descriptor: each write() is one packet, so
 *    the batch is a loop of write() in C.
 *
 * Errors are thrown as JS Errors carrying `code` (errno name), `errno`
 * (negative, as libuv/Node report it) and `syscall`. Writes never throw: they
 * return 0 or the errno so the caller can count drops (a TUN is lossy like a NIC).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <linux/if_tun.h>

#include <node_api.h>
#include <uv.h>

/* Same layout as the kernel's struct in6_ifreq (linux/ipv6.h), declared here
 * so that we need not mix glibc's and the kernel's in6 headers. */
struct tsip_in6_ifreq {
  struct in6_addr ifr6_addr;
  uint32_t ifr6_prefixlen;
  int ifr6_ifindex;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

static const char *errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case EBADFD: return "EBADFD";
    case EMSGSIZE: return "EMSGSIZE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case ENOBUFS: return "ENOBUFS";
    default: return "UNKNOWN";
  }
}

/* Throws Error(message) with .code/.errno/.syscall. Always returns NULL so
 * callers can `return throw_errno(...)`. */
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);

  napi_value code, message, error, sys, num;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_throw(env, error);
  return NULL;
}

/* A programmer error (wrong argument type) — a TypeError, no errno. */
static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Argument helpers                                                          */

#define MAX_ARGS 6

typedef struct {
  size_t argc;
  napi_value argv[MAX_ARGS];
} args_t;

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t need) {
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return 0;
  if (a->argc < need) {
    throw_type(env, "tsip_tun: too few arguments");
    return 0;
  }
  return 1;
}

static int arg_int32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "tsip_tun: expected a number");
    return 0;
  }
  return 1;
}

static int arg_bool(napi_env env, napi_value v, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    throw_type(env, "tsip_tun: expected a boolean");
    return 0;
  }
  return 1;
}

/* Reads an interface name (at most IFNAMSIZ-1 bytes; "" allowed when allow_empty). */
static int arg_ifname(napi_env env, napi_value v, char out[IFNAMSIZ], int allow_empty) {
  char buf[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) {
    throw_type(env, "tsip_tun: interface name must be a string");
    return 0;
  }
  if (len >= IFNAMSIZ) {
    throw_errno(env, EINVAL, "TUNSETIFF", "interface name '%s' is too long (at most %d bytes)", buf, IFNAMSIZ - 1);
    return 0;
  }
  if (len == 0 && !allow_empty) {
    throw_errno(env, EINVAL, "ioctl", "interface name must not be empty");
    return 0;
  }
  memset(out, 0, IFNAMSIZ);
  memcpy(out, buf, len);
  return 1;
}

/* Data pointer and length of a Uint8Array/Buffer (byte offset already applied). */
static int arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    throw_type(env, "tsip_tun: expected a Uint8Array");
    return 0;
  }
  *data = (uint8_t *)ptr;
  *len = length;
  return 1;
}

static napi_value make_int32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* { fd, name }: what open and adopt both return about a device. */
static napi_value device_object(napi_env env, int32_t fd, const struct ifreq *ifr) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "fd", make_int32(env, fd));
  napi_create_string_utf8(env, ifr->ifr_name, strnlen(ifr->ifr_name, IFNAMSIZ), &v);
  napi_set_named_property(env, obj, "name", v);
  return obj;
}

static napi_value make_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

/* ------------------------------------------------------------------------ */
/* open / adopt / close                                                      */

/* open(name: string, tap: boolean, multiQueue: boolean): { fd, name } */
static napi_value js_open(napi_env env, napi_callback_info info) {
  args_t a;
  char name[IFNAMSIZ];
  bool tap, mq;
  if (!get_args(env, info, &a, 3)) return NULL;
  if (!arg_ifname(env, a.argv[0], name, 1)) return NULL;
  if (!arg_bool(env, a.argv[1], &tap) || !arg_bool(env, a.argv[2], &mq)) return NULL;

  /* O_CLOEXEC: children we spawn (ip, ping, a kernel-side peer) must not keep
   * the device alive by inheriting the descriptor. */
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENXIO || err == ENODEV)
      return throw_errno(env, err, "open",
                         "/dev/net/tun is missing: load the tun kernel module (modprobe tun), "
                         "or give the container the device (--device /dev/net/tun)");
    if (err == EACCES || err == EPERM)
      return throw_errno(env, err, "open",
                         "opening /dev/net/tun needs root or CAP_NET_ADMIN, or pass --tun-fd");
    return throw_errno(env, err, "open", "cannot open /dev/net/tun: %s", strerror(err));
  }

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    const char *kind = tap ? "TAP" : "TUN";
    if (err == EPERM || err == EACCES)
      return throw_errno(env, err, "TUNSETIFF",
                         "creating %s device '%s' needs root or CAP_NET_ADMIN, or pass --tun-fd", kind,
                         name);
    if (err == EBUSY)
      return throw_errno(env, err, "TUNSETIFF",
                         "%s device name '%s' is busy: another descriptor has it open", kind, name);
    if (err == EINVAL)
      return throw_errno(env, err, "TUNSETIFF",
                         "cannot attach %s device '%s': the name belongs to a device of another kind, "
                         "or its flags (TUN/TAP, multi-queue) differ",
                         kind, name);
    return throw_errno(env, err, "TUNSETIFF", "cannot create %s device '%s': %s", kind, name,
                       strerror(err));
  }

  return device_object(env, fd, &ifr);
}

/*
 * adopt(fd): { fd, name, tap, multiQueue } — takes over a descriptor opened
 * by someone else (typically a privileged parent that passed it down). Checks
 * with TUNGETIFF that it is an attached TUN/TAP descriptor without packet
 * information headers, then makes it non-blocking and close-on-exec.
 */
static napi_value js_adopt(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd;
  if (!get_args(env, info, &a, 1) || !arg_int32(env, a.argv[0], &fd)) return NULL;

  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) {
    int err = errno;
    return throw_errno(env, err, "fcntl", "fd %d is not an open descriptor: %s", fd, strerror(err));
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
    int err = errno;
    if (err == EBADFD)
      return throw_errno(env, err, "TUNGETIFF",
                         "fd %d is /dev/net/tun but not attached to a device (TUNSETIFF was never done)",
                         fd);
    return throw_errno(env, err, "TUNGETIFF", "fd %d is not a TUN/TAP descriptor: %s", fd,
                       strerror(err));
  }
  if (!(ifr.ifr_flags & IFF_NO_PI))
    return throw_errno(env, EINVAL, "TUNGETIFF",
                       "fd %d (%.*s) was opened without IFF_NO_PI; tsip needs bare frames", fd,
                       IFNAMSIZ, ifr.ifr_name);
  if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    int err = errno;
    return throw_errno(env, err, "fcntl", "cannot make fd %d non-blocking: %s", fd, strerror(err));
  }

  napi_value obj = device_object(env, fd, &ifr), v;
  napi_get_boolean(env, (ifr.ifr_flags & IFF_TAP) != 0, &v);
  napi_set_named_property(env, obj, "tap", v);
  napi_get_boolean(env, (ifr.ifr_flags & IFF_MULTI_QUEUE) != 0, &v);
  napi_set_named_property(env, obj, "multiQueue", v);
  return obj;
}

/* close(fd): void. The caller must have stopped any watcher on fd first. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd;
  if (!get_args(env, info, &a, 1) || !arg_int32(env, a.argv[0], &fd)) return NULL;
  if (close(fd) < 0 && errno != EINTR) {
    int err = errno;
    return throw_errno(env, err, "close", "close(%d): %s", fd, strerror(err));
  }
  return make_undefined(env);
}

/* ------------------------------------------------------------------------ */
/* Interface configuration by ioctl (acts in the calling thread's namespace) */

static int ctl_socket(napi_env env, int family) {
  int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    int err = errno;
    throw_errno(env, err, "socket", "cannot open a control socket: %s", strerror(err));
  }
  return s;
}

/* Runs one SIOC* ioctl on a control socket, throwing on failure. */
static int ifioctl(napi_env env, int s, unsigned long req, const char *reqname, void *arg,
                   const char *ifname) {
  if (ioctl(s, req, arg) < 0) {
    int err = errno;
    if (err == EPERM || err == EACCES)
      throw_errno(env, err, reqname, "%s on %s needs root or CAP_NET_ADMIN", reqname, ifname);
    else
      throw_errno(env, err, reqname, "%s on %s: %s", reqname, ifname, strerror(err));
    return 0;
  }
  return 1;
}

/* setMtu(name, mtu) */
static napi_value js_set_mtu(napi_env env, napi_callback_info info) {
  args_t a;
  char name[IFNAMSIZ];
  int32_t mtu;
  if (!get_args(env, info, &a, 2) || !arg_ifname(env, a.argv[0], name, 0) ||
      !arg_int32(env, a.argv[1], &mtu))
    return NULL;
  int s = ctl_socket(env, AF_INET);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_mtu = mtu;
  int ok = ifioctl(env, s, SIOCSIFMTU, "SIOCSIFMTU", &ifr, name);
  close(s);
  return ok ? make_undefined(env) : NULL;
}

/* setUp(name, up) — read-modify-write of the flags so others are kept. */
static napi_value js_set_up(napi_env env, napi_callback_info info) {
  args_t a;
  char name[IFNAMSIZ];
  bool up;
  if (!get_args(env, info, &a, 2) || !arg_ifname(env, a.argv[0], name, 0) ||
      !arg_bool(env, a.argv[1], &up))
    return NULL;
  int s = ctl_socket(env, AF_INET);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  int ok = ifioctl(env, s, SIOCGIFFLAGS, "SIOCGIFFLAGS", &ifr, name);
  if (ok) {
    if (up)
      ifr.ifr_flags |= IFF_UP;
    else
      ifr.ifr_flags &= ~IFF_UP;
    ok = ifioctl(env, s, SIOCSIFFLAGS, "SIOCSIFFLAGS", &ifr, name);
  }
  close(s);
  return ok ? make_undefined(env) : NULL;
}

/* addAddress4(name, addr: uint32 (host order), prefixLength) */
static napi_value js_add_address4(napi_env env, napi_callback_info info) {
  args_t a;
  char name[IFNAMSIZ];
  uint32_t addr;
  int32_t plen;
  if (!get_args(env, info, &a, 3) || !arg_ifname(env, a.argv[0], name, 0)) return NULL;
  if (napi_get_value_uint32(env, a.argv[1], &addr) != napi_ok) return throw_type(env, "tsip_tun: address must be a uint32");
  if (!arg_int32(env, a.argv[2], &plen)) return NULL;
  if (plen < 0 || plen > 32) return throw_errno(env, EINVAL, "SIOCSIFNETMASK", "IPv4 prefix length %d is out of range", plen);

  int s = ctl_socket(env, AF_INET);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(addr);
  int ok = ifioctl(env, s, SIOCSIFADDR, "SIOCSIFADDR", &ifr, name);
  if (ok) {
    /* SIOCSIFADDR installed a classful mask; replace it with ours. */
    memset(&ifr.ifr_netmask, 0, sizeof ifr.ifr_netmask);
    sin = (struct sockaddr_in *)&ifr.ifr_netmask;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(plen == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - plen)));
    ok = ifioctl(env, s, SIOCSIFNETMASK, "SIOCSIFNETMASK", &ifr, name);
  }
  close(s);
  return ok ? make_undefined(env) : NULL;
}

/* addAddress6(name, addr: Uint8Array(16), prefixLength) — SIOCSIFADDR on an
 * AF_INET6 socket takes a struct in6_ifreq naming the interface by index. */
static napi_value js_add_address6(napi_env env, napi_callback_info info) {
  args_t a;
  char name[IFNAMSIZ];
  uint8_t *bytes;
  size_t len;
  int32_t plen;
  if (!get_args(env, info, &a, 3) || !arg_ifname(env, a.argv[0], name, 0) ||
      !arg_bytes(env, a.argv[1], &bytes, &len) || !arg_int32(env, a.argv[2], &plen))
    return NULL;
  if (len != 16) return throw_type(env, "tsip_tun: an IPv6 address is 16 bytes");
  if (plen < 0 || plen > 128) return throw_errno(env, EINVAL, "SIOCSIFADDR", "IPv6 prefix length %d is out of range", plen);

  int s = ctl_socket(env, AF_INET6);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  int ok = ifioctl(env, s, SIOCGIFINDEX, "SIOCGIFINDEX", &ifr, name);
  if (ok) {
    struct tsip_in6_ifreq r6;
    memset(&r6, 0, sizeof r6);
    memcpy(&r6.ifr6_addr, bytes, 16);
    r6.ifr6_prefixlen = (uint32_t)plen;
    r6.ifr6_ifindex = ifr.ifr_ifindex;
    ok = ifioctl(env, s, SIOCSIFADDR, "SIOCSIFADDR", &r6, name);
  }
  close(s);
  return ok ? make_undefined(env) : NULL;
}

/* getMac(fd): Buffer(6) — SIOCGIFHWADDR on the TUN/TAP descriptor itself, so
 * it works whichever namespace the device has been moved to. */
static napi_value js_get_mac(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd;
  if (!get_args(env, info, &a, 1) || !arg_int32(env, a.argv[0], &fd)) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int err = errno;
    return throw_errno(env, err, "SIOCGIFHWADDR", "cannot read the MAC address of fd %d: %s", fd, strerror(err));
  }
  napi_value buf;
  napi_create_buffer_copy(env, 6, ifr.ifr_hwaddr.sa_data, NULL, &buf);
  return buf;
}

/* setMac(fd, mac: Uint8Array(6)) — SIOCSIFHWADDR on the descriptor (TAP only). */
static napi_value js_set_mac(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd;
  uint8_t *mac;
  size_t len;
  if (!get_args(env, info, &a, 2) || !arg_int32(env, a.argv[0], &fd) || !arg_bytes(env, a.argv[1], &mac, &len))
    return NULL;
  if (len != 6) return throw_type(env, "tsip_tun: a MAC address is 6 bytes");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
  if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0) {
    int err = errno;
    return throw_errno(env, err, "SIOCSIFHWADDR", "cannot set the MAC address of fd %d: %s", fd, strerror(err));
  }
  return make_undefined(env);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

/* One write() is one packet on TUN/TAP; EINTR is retried, anything else is
 * returned (EAGAIN: the device queue is full; EINVAL: the kernel rejected the
 * frame; EIO: the device is down). */
static int write_frame(int fd, const uint8_t *data, size_t len) {
  for (;;) {
    ssize_t r = write(fd, data, len);
    if (r >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/* write(fd, frame): 0, or the errno of a failed write. Never throws for I/O. */
static napi_value js_write(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd;
  uint8_t *data;
  size_t len;
  if (!get_args(env, info, &a, 2) || !arg_int32(env, a.argv[0], &fd) || !arg_bytes(env, a.argv[1], &data, &len))
    return NULL;
  return make_int32(env, write_frame(fd, data, len));
}

/*
 * writeMany(fd, frames: Uint8Array[], count, status: Int32Array): number sent.
 * status[i] receives 0 or the errno of frame i, so one native call covers a
 * whole event-loop turn's worth of sends.
 */
static napi_value js_write_many(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd, count;
  if (!get_args(env, info, &a, 4) || !arg_int32(env, a.argv[0], &fd) || !arg_int32(env, a.argv[2], &count))
    return NULL;
  napi_typedarray_type st;
  size_t slen;
  void *sptr;
  if (napi_get_typedarray_info(env, a.argv[3], &st, &slen, &sptr, NULL, NULL) != napi_ok || st != napi_int32_array)
    return throw_type(env, "tsip_tun: status must be an Int32Array");
  if (count < 0 || (size_t)count > slen) return throw_type(env, "tsip_tun: status is shorter than count");
  int32_t *status = (int32_t *)sptr;
  int32_t sent = 0;
  for (int32_t i = 0; i < count; i++) {
    napi_value el;
    uint8_t *data;
    size_t len;
    if (napi_get_element(env, a.argv[1], (uint32_t)i, &el) != napi_ok || !arg_bytes(env, el, &data, &len))
      return NULL;
    int err = write_frame(fd, data, len);
    status[i] = err;
    if (err == 0) sent++;
  }
  return make_int32(env, sent);
}

/* ------------------------------------------------------------------------ */
/* The readable watcher                                                      */

/*
 * Two delivery shapes (bench/tun-raw.mjs measures both):
 *  SHARED:  frames are read back to back into one JS-owned ArrayBuffer and
 *           their lengths into a JS-owned Int32Array; JS gets cb(count).
 *           No allocation per frame or per wake-up.
 *  BUFFERS: each frame is copied into its own new Buffer; JS gets
 *           cb(count, Buffer[]).
 * A negative count is -errno: the descriptor failed (e.g. the device was
 * deleted) and the watcher has stopped.
 */
enum { MODE_SHARED = 0, MODE_BUFFERS = 1 };

/* Large enough for any frame a TUN/TAP without IFF_VNET_HDR can deliver:
 * dev->max_mtu is 65535, plus an Ethernet header with a VLAN tag. */
#define MAX_FRAME 65553

static const napi_type_tag WATCHER_TAG = {0x7473697074756e31ULL, 0x7761746368657221ULL};

typedef struct watcher {
  uv_poll_t poll;
  napi_env env;
  int fd;
  int mode;
  int max_frames;
  int closing;   /* unwatch() was called or the descriptor failed */
  int live_refs; /* the uv handle and the JS handle object each hold one */
  napi_ref cb_ref;
  napi_ref buf_ref; /* SHARED: the ArrayBuffer */
  napi_ref len_ref; /* SHARED: the Int32Array */
  uint8_t *buf;
  size_t buf_cap;
  int32_t *lens;
  uint8_t *scratch; /* BUFFERS: one frame */
  napi_async_context async;
} watcher;

static void watcher_release(watcher *w) {
  if (--w->live_refs == 0) {
    free(w->scratch);
    free(w);
  }
}

static void on_handle_closed(uv_handle_t *h) { watcher_release((watcher *)h->data); }

static void on_handle_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watcher_release((watcher *)data);
}

/* Stops polling and schedules the handle's close. Safe to call twice. */
static void watcher_stop(watcher *w) {
  if (w->closing) return;
  w->closing = 1;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_handle_closed);
}

/* Environment teardown (e.g. a worker exiting) with the watcher still on. */
static void on_env_cleanup(void *arg) { watcher_stop((watcher *)arg); }

/* Releases the JS references; runs on the JS thread with a live env. */
static void watcher_drop_js(watcher *w) {
  napi_env env = w->env;
  napi_remove_env_cleanup_hook(env, on_env_cleanup, w);
  if (w->cb_ref) napi_delete_reference(env, w->cb_ref);
  if (w->buf_ref) napi_delete_reference(env, w->buf_ref);
  if (w->len_ref) napi_delete_reference(env, w->len_ref);
  w->cb_ref = w->buf_ref = w->len_ref = NULL;
  if (w->async) napi_async_destroy(env, w->async);
  w->async = NULL;
}

/* Calls the JS callback through MakeCallback (so microtasks and async hooks
 * run as for any I/O callback); an exception becomes an uncaught exception. */
static void watcher_call(watcher *w, int argc, napi_value *argv) {
  napi_env env = w->env;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, w->cb_ref, &cb) != napi_ok || cb == NULL) return;
  /* napi_make_callback converts recv with ToObject: undefined is refused. */
  napi_get_global(env, &recv);
  if (napi_make_callback(env, w->async, recv, cb, (size_t)argc, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  watcher *w = (watcher *)h->data;
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);

  int count = 0, err = 0;
  if (status < 0) {
    err = -status; /* libuv errors are -errno on Unix */
  } else if (w->mode == MODE_SHARED) {
    size_t off = 0;
    /* Stop while a maximal frame might not fit: a short read() on TUN/TAP
     * truncates the packet and loses the rest. */
    while (count < w->max_frames && w->buf_cap - off >= MAX_FRAME) {
      ssize_t r = read(w->fd, w->buf + off, w->buf_cap - off);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) err = errno;
        break;
      }
      w->lens[count++] = (int32_t)r;
      off += (size_t)r;
    }
  } else {
    napi_value arr;
    napi_create_array(env, &arr);
    while (count < w->max_frames) {
      ssize_t r = read(w->fd, w->scratch, MAX_FRAME);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) err = errno;
        break;
      }
      napi_value b;
      napi_create_buffer_copy(env, (size_t)r, w->scratch, NULL, &b);
      napi_set_element(env, arr, (uint32_t)count++, b);
    }
    if (count > 0) {
      napi_value argv[2];
      argv[0] = make_int32(env, count);
      argv[1] = arr;
      watcher_call(w, 2, argv);
      count = 0; /* delivered */
    }
  }

  if (count > 0 && !w->closing) {
    napi_value argv[1];
    argv[0] = make_int32(env, count);
    watcher_call(w, 1, argv);
  }
  if (err != 0 && !w->closing) {
    /* The descriptor is unusable (the device was deleted, or the fd closed
     * under us): stop, then tell JS once. */
    napi_value argv[1];
    argv[0] = make_int32(env, -err);
    uv_poll_stop(&w->poll);
    watcher_call(w, 1, argv);
  }
  napi_close_handle_scope(env, scope);
}

/* Common part of watchShared/watchBuffers. */
static napi_value start_watch(napi_env env, watcher *w, napi_value cb) {
  uv_loop_t *loop;
  napi_value name, ext;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(w->scratch);
    free(w);
    return throw_errno(env, EINVAL, "uv_poll_init", "no event loop");
  }
  int w_fd = w->fd;
  int rc = uv_poll_init(loop, &w->poll, w_fd);
  if (rc < 0) {
    free(w->scratch);
    free(w);
    return throw_errno(env, -rc, "uv_poll_init", "cannot watch fd %d: %s", w_fd, uv_strerror(rc));
  }
  w->poll.data = w;
  w->env = env;
  w->live_refs = 2;
  napi_create_reference(env, cb, 1, &w->cb_ref);
  napi_create_string_utf8(env, "TsipTunWatcher", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  napi_add_env_cleanup_hook(env, on_env_cleanup, w);
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  /* The handle JS holds: a plain object wrapping the watcher, type-tagged so
   * that unwatch() cannot be handed some other wrapped object. */
  napi_create_object(env, &ext);
  napi_wrap(env, ext, w, on_handle_finalized, NULL, NULL);
  napi_type_tag_object(env, ext, &WATCHER_TAG);
  if (rc < 0) {
    watcher_drop_js(w);
    watcher_stop(w);
    return throw_errno(env, -rc, "uv_poll_start", "cannot watch fd %d: %s", w->fd, uv_strerror(rc));
  }
  return ext;
}

/* watchShared(fd, buffer: ArrayBuffer, lengths: Int32Array, maxFrames, cb(count)) */
static napi_value js_watch_shared(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd, maxf;
  if (!get_args(env, info, &a, 5) || !arg_int32(env, a.argv[0], &fd) || !arg_int32(env, a.argv[3], &maxf))
    return NULL;
  void *buf;
  size_t cap;
  if (napi_get_arraybuffer_info(env, a.argv[1], &buf, &cap) != napi_ok)
    return throw_type(env, "tsip_tun: buffer must be an ArrayBuffer");
  if (cap < MAX_FRAME) return throw_type(env, "tsip_tun: buffer must hold at least one maximal frame (65553 bytes)");
  napi_typedarray_type lt;
  size_t nlens;
  void *lens;
  if (napi_get_typedarray_info(env, a.argv[2], &lt, &nlens, &lens, NULL, NULL) != napi_ok || lt != napi_int32_array)
    return throw_type(env, "tsip_tun: lengths must be an Int32Array");
  if (maxf < 1 || (size_t)maxf > nlens) return throw_type(env, "tsip_tun: maxFrames must be in 1..lengths.length");

  watcher *w = (watcher *)calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc", "out of memory");
  w->fd = fd;
  w->mode = MODE_SHARED;
  w->max_frames = maxf;
  w->buf = (uint8_t *)buf;
  w->buf_cap = cap;
  w->lens = (int32_t *)lens;
  napi_value ext = start_watch(env, w, a.argv[4]);
  if (ext == NULL) return NULL;
  /* Keep the memory we write into alive for as long as we watch. */
  napi_create_reference(env, a.argv[1], 1, &w->buf_ref);
  napi_create_reference(env, a.argv[2], 1, &w->len_ref);
  return ext;
}

/* watchBuffers(fd, maxFrames, cb(count, Buffer[])) */
static napi_value js_watch_buffers(napi_env env, napi_callback_info info) {
  args_t a;
  int32_t fd, maxf;
  if (!get_args(env, info, &a, 3) || !arg_int32(env, a.argv[0], &fd) || !arg_int32(env, a.argv[1], &maxf))
    return NULL;
  if (maxf < 1) return throw_type(env, "tsip_tun: maxFrames must be >= 1");
  watcher *w = (watcher *)calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc", "out of memory");
  w->scratch = (uint8_t *)malloc(MAX_FRAME);
  if (!w->scratch) {
    free(w);
    return throw_errno(env, ENOMEM, "malloc", "out of memory");
  }
  w->fd = fd;
  w->mode = MODE_BUFFERS;
  w->max_frames = maxf;
  return start_watch(env, w, a.argv[2]);
}

static watcher *arg_watcher(napi_env env, napi_value v) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, &WATCHER_TAG, &ok) != napi_ok || !ok ||
      napi_unwrap(env, v, &p) != napi_ok) {
    throw_type(env, "tsip_tun: not a watcher handle");
    return NULL;
  }
  return (watcher *)p;
}

/* unwatch(handle): stops polling. Idempotent. The fd stays open. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, &a, 1)) return NULL;
  watcher *w = arg_watcher(env, a.argv[0]);
  if (!w) return NULL;
  if (!w->closing) {
    watcher_drop_js(w);
    watcher_stop(w);
  }
  return make_undefined(env);
}

/* ref(handle, keepAlive): whether an active watcher keeps the event loop alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  args_t a;
  bool on;
  if (!get_args(env, info, &a, 2)) return NULL;
  watcher *w = arg_watcher(env, a.argv[0]);
  if (!w || !arg_bool(env, a.argv[1], &on)) return NULL;
  if (!w->closing) {
    if (on)
      uv_ref((uv_handle_t *)&w->poll);
    else
      uv_unref((uv_handle_t *)&w->poll);
  }
  return make_undefined(env);
}

/* ------------------------------------------------------------------------ */

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adopt", NULL, js_adopt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMtu", NULL, js_set_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setUp", NULL, js_set_up, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addAddress4", NULL, js_add_address4, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addAddress6", NULL, js_add_address6, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getMac", NULL, js_get_mac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMac", NULL, js_set_mac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeMany", NULL, js_write_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchShared", NULL, js_watch_shared, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchBuffers", NULL, js_watch_buffers, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, js_ref, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value max_frame;
  napi_create_int32(env, MAX_FRAME, &max_frame);
  napi_set_named_property(env, exports, "MAX_FRAME", max_frame);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
