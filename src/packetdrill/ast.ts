/**
 * The typed syntax tree of a packetdrill script (conformance README §1.2-1.5).
 *
 * The parser fills it; the runner walks `events` in order. Everything a runner
 * needs is explicit: times are integer microseconds, numbers are plain numbers
 * already range-checked (u32 sequence numbers, u16 windows and lengths...),
 * TCP flags come both as written and as bits, and syscall arguments form a
 * small expression tree whose well-known struct shapes (linger, pollfd,
 * msghdr, iovec, sockaddr) are recognised into their own node kinds.
 */

/** A whole script: `opt_options opt_init_command events opt_cleanup_command`. */
export interface Script {
  readonly options: readonly ScriptOption[];
  /** The back-quoted command before the first timed event, if any. */
  readonly initCommand: Command | null;
  readonly events: readonly ScriptEvent[];
  /** The back-quoted command after the last event (it has no time), if any. */
  readonly cleanupCommand: Command | null;
}

/** `--name` or `--name=value` at the top of the script. */
export interface ScriptOption {
  readonly name: string;
  /** The text after `=`, or null for a bare flag such as `--strict_segments`. */
  readonly value: string | null;
  readonly line: number;
}

/** A back-quoted shell command (never executed; the runner interprets known ones). */
export interface Command {
  readonly command: string;
  readonly line: number;
}

/** One timed line: `event_time action`. `line` is the line of its time stamp. */
export interface ScriptEvent {
  readonly line: number;
  readonly col: number;
  readonly time: EventTime;
  readonly action: Action;
}

/**
 * When an event happens, in microseconds (README §1.3).
 * - `absolute`: `T`, measured from the script start.
 * - `relative`: `+d`, measured from the event's anchor (see timing.ts).
 * - `range`: `T1~T2` (relative = false) or `+d1~+d2` (relative = true); outbound packets only.
 * - `any`: `*`, never checked; outbound packets only.
 */
export type EventTime =
  | { readonly kind: 'absolute'; readonly us: number }
  | { readonly kind: 'relative'; readonly us: number }
  | { readonly kind: 'range'; readonly relative: boolean; readonly startUs: number; readonly endUs: number }
  | { readonly kind: 'any' };

/** What an event does. */
export type Action = PacketAction | SyscallAction | ShellAction | CodeAction;

/** `<` is a packet the runner injects; `>` is a packet the stack must send. */
export type Direction = '<' | '>';

/** A packet line: TCP, UDP or ICMP. */
export type PacketAction = TcpPacket | UdpPacket | IcmpPacket;

/**
 * IP header expectations/settings from `(ect0)`, `[tos 0x4]`, `(ttl 64)`,
 * `(ect1, flowlabel 0x12345)`. Null fields were not written (and are not checked).
 */
export interface IpInfo {
  /** ECN codepoint; `ect01` (outbound only) accepts either ECT(0) or ECT(1). */
  readonly ecn: 'noecn' | 'ect0' | 'ect1' | 'ce' | 'ect01' | null;
  /** The full TOS / traffic class byte from `tos 0xNN`. */
  readonly tos: number | null;
  readonly ttl: number | null;
  /** IPv6 flow label (20 bits). */
  readonly flowLabel: number | null;
}

/** `sport>dport` written before the flags; absent lines use the socket under test. */
export interface Ports {
  readonly src: number;
  readonly dst: number;
}

/** Decoded TCP header flag bits. */
export interface TcpFlagBits {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  /** `E` */
  readonly ece: boolean;
  /** `W` */
  readonly cwr: boolean;
  /** `A` (AccECN AE bit) */
  readonly ae: boolean;
  /** An AccECN ACE digit (0-7) written in the flags, else null. */
  readonly ace: number | null;
}

/** `start:end(len)`; the parser has checked end = start + len. */
export interface SeqRange {
  readonly start: number;
  readonly end: number;
  readonly len: number;
}

/** One entry of a `<...>` option list. Shapes match src/tcp/options.ts where they overlap. */
export type TcpOptionSpec =
  | { readonly kind: 'nop' }
  | { readonly kind: 'eol' }
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'sack'; readonly blocks: ReadonlyArray<readonly [number, number]> }
  | { readonly kind: 'ts'; readonly val: number; readonly ecr: number }
  /** TCP Fast Open (kind 34) or its experimental form (kind 254, magic 0xF989); cookie as even-length hex. */
  | { readonly kind: 'fastopen'; readonly experimental: boolean; readonly cookieHex: string }
  /** TCP-MD5 signature (kind 19); digest as hex (possibly shorter than 16 bytes, on purpose). */
  | { readonly kind: 'md5'; readonly digestHex: string };

/**
 * `< | > [(ip)] [sport>dport] FLAGS start:end(len) [ack N] [win N] [urg N] [<opts> | <...>]`
 */
export interface TcpPacket {
  readonly type: 'packet';
  readonly protocol: 'tcp';
  readonly direction: Direction;
  readonly ip: IpInfo | null;
  readonly ports: Ports | null;
  /**
   * The flags as written, with `.` kept for ACK (`S.`, `FP.`, `.`), and the
   * empty string for `-` (no flags at all).
   */
  readonly flags: string;
  readonly flagBits: TcpFlagBits;
  readonly seq: SeqRange;
  /** Null when not written (the field is then compared as 0 on outbound packets). */
  readonly ack: number | null;
  /** Raw 16-bit window field; mandatory on inbound, checked only when written on outbound. */
  readonly win: number | null;
  readonly urg: number | null;
  /**
   * The option list; `'any'` for `<...>` (options not checked, outbound only);
   * null when no `<...>` was written, which means "no options at all".
   */
  readonly options: readonly TcpOptionSpec[] | 'any' | null;
}

/** `< udp [sport>dport] (len)` */
export interface UdpPacket {
  readonly type: 'packet';
  readonly protocol: 'udp';
  readonly direction: Direction;
  readonly ip: IpInfo | null;
  readonly ports: Ports | null;
  /** Payload length in bytes. */
  readonly len: number;
}

/** The offending packet an ICMP error quotes, from `[start:end(len)]`, `[udp (len)]`, `[raw (len)]`. */
export type IcmpEchoed =
  | { readonly protocol: 'tcp'; readonly seq: SeqRange }
  | { readonly protocol: 'udp'; readonly len: number }
  | { readonly protocol: 'raw'; readonly len: number };

/** `< icmp TYPE [CODE] [mtu N] [id N] [echoed]` with symbolic type and code names. */
export interface IcmpPacket {
  readonly type: 'packet';
  readonly protocol: 'icmp';
  readonly direction: Direction;
  readonly ip: IpInfo | null;
  readonly icmpType: string;
  readonly icmpCode: string | null;
  readonly mtu: number | null;
  readonly id: number | null;
  readonly echoed: IcmpEchoed | null;
}

/**
 * `[...E] name(args) = result [ERRNO] [(note)]`.
 * `endUs` is the return time `E` of a blocking call, measured from the same
 * anchor as the event's start (README §1.3); null for a call that must not block.
 */
export interface SyscallAction {
  readonly type: 'syscall';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly endUs: number | null;
  readonly result: Expr;
  /** Expected errno name (`EAGAIN`, `EINPROGRESS`, ...), or null. */
  readonly errno: string | null;
  /** The parenthesised free text (strerror-style note), whitespace collapsed; ignored by the runner. */
  readonly note: string | null;
}

/** A back-quoted command as a timed event. */
export interface ShellAction {
  readonly type: 'shell';
  readonly command: string;
}

/** A `%{ ... }%` python snippet (TCP_INFO assertions), blanks trimmed. */
export interface CodeAction {
  readonly type: 'code';
  readonly code: string;
}

/**
 * Syscall argument / result expressions.
 *
 * `[x]` is an `array`: in an integer-by-pointer position (`setsockopt` value,
 * `getsockopt` value and length, `ioctl` result) a one-element array means
 * "pointer to this int"; elsewhere (`poll`) it is an array of structs.
 */
export type Expr =
  | IntExpr
  | SymbolExpr
  | BitOrExpr
  | EllipsisExpr
  | StringExpr
  | ArrayExpr
  | StructExpr
  | ListExpr
  | AssignExpr
  | IovecExpr
  | LingerExpr
  | PollfdExpr
  | SockaddrExpr
  | MsghdrExpr
  | HtonsExpr
  | InetAddrExpr;

/** A decimal (`-1`, `1000`) or hex (`0x10`) integer. */
export interface IntExpr {
  readonly kind: 'int';
  readonly value: number;
  readonly hex: boolean;
}

/** A named constant (`SOCK_STREAM`), resolved through symbols.ts. */
export interface SymbolExpr {
  readonly kind: 'symbol';
  readonly name: string;
}

/** `A|B|C`: bitwise OR of the terms, left to right. */
export interface BitOrExpr {
  readonly kind: 'bitor';
  readonly terms: readonly Expr[];
}

/** `...`: "whatever the run supplies" (addresses, buffers, lengths). */
export interface EllipsisExpr {
  readonly kind: 'ellipsis';
}

/** `"text"` (adjacent strings concatenated); `"text"...` sets `ellipsis`. */
export interface StringExpr {
  readonly kind: 'string';
  readonly value: string;
  readonly ellipsis: boolean;
}

/** `[a, b, ...]` */
export interface ArrayExpr {
  readonly kind: 'array';
  readonly elements: readonly Expr[];
}

/** One `name=value` or `name(index)=value` entry of a brace struct. */
export interface StructField {
  readonly name: string;
  readonly index: Expr | null;
  readonly value: Expr;
}

/** `{name=value, ...}` of a shape not recognised below (e.g. a cmsg). */
export interface StructExpr {
  readonly kind: 'struct';
  readonly fields: readonly StructField[];
}

/** `{a, b, ...}` positional braces (a `name=value` among them is an `assign`). */
export interface ListExpr {
  readonly kind: 'list';
  readonly elements: readonly Expr[];
}

/** `name=value` outside a struct (packetdrill's binary `=`). */
export interface AssignExpr {
  readonly kind: 'assign';
  readonly name: string;
  readonly value: Expr;
}

/** `{..., 40}`: an iovec whose base is supplied by the run and whose length is `len`. */
export interface IovecExpr {
  readonly kind: 'iovec';
  readonly base: Expr;
  readonly len: Expr;
}

/** `{onoff=1, linger=0}` (struct linger). */
export interface LingerExpr {
  readonly kind: 'linger';
  readonly onoff: Expr;
  readonly linger: Expr;
}

/** `{fd=4, events=POLLOUT[, revents=POLLOUT]}` (struct pollfd); revents null when not written. */
export interface PollfdExpr {
  readonly kind: 'pollfd';
  readonly fd: Expr;
  readonly events: Expr;
  readonly revents: Expr | null;
}

/** `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}` */
export interface SockaddrExpr {
  readonly kind: 'sockaddr';
  readonly family: Expr;
  readonly port: Expr;
  readonly addr: Expr;
}

/**
 * `{msg_name(...)=..., msg_iov(1)=[{..., 40}], msg_flags=0[, msg_control=[...]]}`.
 * `nameLen` and `iovLen` are the parenthesised parts of `msg_name(...)` and
 * `msg_iov(N)` (null when not written).
 */
export interface MsghdrExpr {
  readonly kind: 'msghdr';
  readonly name: Expr;
  readonly nameLen: Expr | null;
  readonly iov: Expr;
  readonly iovLen: Expr | null;
  readonly flags: Expr;
  readonly control: Expr | null;
}

/** `htons(expr)` */
export interface HtonsExpr {
  readonly kind: 'htons';
  readonly value: Expr;
}

/** `inet_addr("a.b.c.d")` (family 4) or `inet6_addr("...")` (family 6); the text is not validated here. */
export interface InetAddrExpr {
  readonly kind: 'inet_addr';
  readonly family: 4 | 6;
  readonly address: string;
}

/** A parse or semantic error with its position (1-based). */
export interface ScriptError {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}
