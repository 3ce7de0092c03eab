// The measuring side of the raw TCP baselines: one loopback connection to the raw-tcp server
// process, frames out, replies matched by id (asks) or awaited in order (counts).

import { connect, type Socket } from 'node:net';
import { createJsonFrameReader, encodeJsonFrames } from './raw-frames.ts';
import type { CountReply } from './protocol.ts';
import { startServer, type ServerProcess } from './server-process.ts';

/** A connection to a raw TCP server process. */
export interface RawTcpClient {
  readonly socket: Socket;
  readonly server: ServerProcess;
  /** Gets served so far (kept by the cases, for the lost-or-doubled check). */
  served: number;
  /** Writes pre-serialized frames in one write; resolves when the socket accepts more ('drain' if it asked to wait). */
  writeFrames(texts: readonly string[]): Promise<void>;
  /** Asks the server for its count of `n` messages (and resets it). */
  count(): Promise<CountReply>;
  /** One request/reply: resolves with the number of gets the server has served. Writes of one turn are corked together. */
  get(): Promise<number>;
  close(): Promise<void>;
}

/** Starts the raw-tcp server process and connects to it. */
export async function startRawTcp(): Promise<RawTcpClient> {
  const server = await startServer('raw-tcp.ts', {});
  const [host, port] = server.ready.endpoint.split(':');
  const socket = connect({ host, port: Number(port), noDelay: true });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const counts: ((r: CountReply) => void)[] = [];
  const gets = new Map<number, (served: number) => void>();
  let nextId = 0;
  let corked = false;
  const uncork = (): void => { corked = false; socket.uncork(); };
  socket.on('data', createJsonFrameReader((value) => {
    const r = value as { id?: number; served?: number } & CountReply;
    if (r.id === undefined) { counts.shift()?.(r); return; }
    const resolve = gets.get(r.id);
    gets.delete(r.id);
    resolve?.(r.served as number);
  }));
  return {
    socket, server, served: 0,
    writeFrames(texts) {
      if (socket.write(encodeJsonFrames(texts))) return Promise.resolve();
      return new Promise((resolve) => socket.once('drain', resolve));
    },
    count() {
      return new Promise((resolve) => { counts.push(resolve); socket.write(encodeJsonFrames([JSON.stringify({ type: 'count' })])); });
    },
    get() {
      const id = ++nextId;
      return new Promise((resolve) => {
        gets.set(id, resolve);
        if (!corked) { corked = true; socket.cork(); process.nextTick(uncork); }
        socket.write(encodeJsonFrames([JSON.stringify({ type: 'get', id })]));
      });
    },
    async close() {
      socket.destroy();
      await server.stop();
    },
  };
}
