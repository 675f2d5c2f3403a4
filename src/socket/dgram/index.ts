import { type DgramHost, DgramSocket, type DgramSocketOptions, type RemoteInfo } from './dgram-socket.js';

export type { DgramAddressInfo, DgramBindOptions, DgramHost, DgramSocketOptions, RemoteInfo } from './dgram-socket.js';
export { DgramSocket };

/**
 * The `node:dgram` surface bound to one stack: `createSocket('udp4' |
 * options[, onMessage])` and the `Socket` class.
 */
export interface DgramApi {
  readonly Socket: new (options: DgramSocketOptions | 'udp4' | 'udp6', listener?: (msg: Buffer, rinfo: RemoteInfo) => void) => DgramSocket;
  createSocket(options: DgramSocketOptions | 'udp4' | 'udp6', listener?: (msg: Buffer, rinfo: RemoteInfo) => void): DgramSocket;
}

/** Builds the `dgram` API of a stack (`stack.dgram`), with a Socket class bound to it. */
export function createDgramApi(host: DgramHost): DgramApi {
  class Socket extends DgramSocket {
    constructor(options: DgramSocketOptions | 'udp4' | 'udp6', listener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
      super(host, options, listener);
    }
  }
  return { Socket, createSocket: (options, listener) => new Socket(options, listener) };
}
