import type { IpAddress } from '../../ip/types.js';
import type { TcpConnection } from '../../tcp/connection.js';
import { TcpState } from '../../tcp/state.js';
import type { TcpLayer } from '../../tcp/tcp-layer.js';
import type { TcpListener } from '../../tcp/listener.js';
import { sameIp } from './sockaddr.js';

/**
 * A local binding of a TCP socket: address (null = wildcard), port, and the
 * address families it covers (an AF_INET6 socket bound to `::` covers both,
 * as Linux's dual-stack sockets do).
 */
export interface TcpBinding {
  readonly ip: IpAddress | null;
  readonly port: number;
  readonly v4: boolean;
  readonly v6: boolean;
  /** The application chose the address / the port (SOCK_BINDADDR_LOCK / SOCK_BINDPORT_LOCK). */
  readonly userAddress: boolean;
  readonly userPort: boolean;
  /** Made by connect(2)'s autobind: the connection's 4-tuple holds the port, not a reservation. */
  readonly fromConnect?: boolean;
}

/** What the table needs to know about a socket. */
export interface BindOwner {
  readonly binding: TcpBinding | null;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  /** True while the socket listens. */
  readonly listening: boolean;
  readonly closed: boolean;
  /** The socket's listeners and connection, so the scan of the TCP layer skips what the socket already stands for. */
  ownsListener(l: TcpListener): boolean;
}

function overlaps(a: IpAddress | null, b: IpAddress | null): boolean {
  return a === null || b === null || sameIp(a, b);
}

function familyOf(a: IpAddress): 4 | 6 {
  return typeof a === 'number' ? 4 : 6;
}

/**
 * The ports held by the facade's TCP sockets, with Linux's bind conflict
 * rules (inet_csk_bind_conflict): two bindings of one port clash when their
 * addresses overlap (equal, or either is the wildcard) unless both sockets
 * set SO_REUSEADDR and the other is not listening, or both set
 * SO_REUSEPORT.
 *
 * The TCP layer only knows listeners and connections; a socket that is
 * bound but neither listens nor connects yet holds its port only here.
 * Connections and listeners made through the TCP layer directly (Node
 * adapters) are scanned too, so the facade never binds over them.
 */
export class TcpBindTable {
  private readonly byPort = new Map<number, Set<BindOwner>>();
  /** SO_REUSEADDR of connections the facade made, remembered after their socket closed (orphans, TIME-WAIT). */
  private readonly connReuse = new WeakMap<TcpConnection, BindOwner>();

  constructor(private readonly tcp: TcpLayer) {
    // The layer's own ephemeral picks (connect, listen on port 0) must not take a port bound here.
    tcp.addPortReservation((port) => this.reserved(port));
  }

  /**
   * True if a socket holds `port` through bind(2), listen(2) or accept(2) —
   * a Linux bind bucket that __inet_hash_connect never shares. Ports that
   * connect(2) bound on its own are left to the 4-tuple check.
   */
  reserved(port: number): boolean {
    const set = this.byPort.get(port);
    if (set === undefined) return false;
    for (const o of set) if (!o.closed && o.binding !== null && o.binding.fromConnect !== true) return true;
    return false;
  }

  /** Records `owner`'s binding (call after setting it). */
  add(owner: BindOwner): void {
    const b = owner.binding;
    if (b === null) return;
    let set = this.byPort.get(b.port);
    if (set === undefined) this.byPort.set(b.port, (set = new Set()));
    set.add(owner);
  }

  /** Forgets `owner` on `port`. */
  remove(owner: BindOwner, port: number): void {
    const set = this.byPort.get(port);
    if (set === undefined) return;
    set.delete(owner);
    if (set.size === 0) this.byPort.delete(port);
  }

  /** Remembers which socket a connection belongs to (its SO_REUSEADDR outlives the socket). */
  adopt(c: TcpConnection, owner: BindOwner): void {
    this.connReuse.set(c, owner);
  }

  /**
   * Would `owner` binding `ip`:`port` over families v4/v6 clash with another
   * binding? `forListen` applies the check listen() makes: only listeners
   * count, since Linux relaxes SO_REUSEADDR between sockets that merely bind.
   */
  conflicts(owner: BindOwner, ip: IpAddress | null, port: number, v4: boolean, v6: boolean, forListen: boolean): boolean {
    const set = this.byPort.get(port);
    if (set !== undefined) {
      for (const other of set) {
        if (other === owner || other.closed) continue;
        const b = other.binding;
        if (b === null || !((v4 && b.v4) || (v6 && b.v6)) || !overlaps(ip, b.ip)) continue;
        if (owner.reusePort && other.reusePort) continue;
        if (forListen) {
          if (other.listening) return true;
          continue;
        }
        if (owner.reuseAddr && other.reuseAddr && !other.listening) continue;
        return true;
      }
    }
    for (const l of this.tcp.listenerList()) {
      if (l.localPort !== port || owner.ownsListener(l)) continue;
      if (!((v4 && l.family === 4) || (v6 && l.family === 6)) || !overlaps(ip, l.localAddress)) continue;
      let mine = false;
      if (set !== undefined) for (const o of set) if (o.ownsListener(l)) mine = true;
      if (!mine) return true;
    }
    if (forListen) return false;
    for (const c of this.tcp.connectionList()) {
      if (c.localPort !== port || c.state === TcpState.CLOSED) continue;
      const fam = familyOf(c.localAddress);
      if (!((v4 && fam === 4) || (v6 && fam === 6)) || !overlaps(ip, c.localAddress)) continue;
      const o = this.connReuse.get(c);
      if (o !== undefined && o !== owner && !o.closed && set?.has(o)) continue; // already checked through its socket
      if (o === owner) continue;
      // A connection the facade did not make: assume its owner allowed reuse.
      const otherReuse = o === undefined ? true : o.reuseAddr;
      if (owner.reuseAddr && otherReuse) continue;
      return true;
    }
    return false;
  }
}
