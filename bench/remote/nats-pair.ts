// The measuring side of the nats.js baselines: a connection in this process and the raw-nats
// server process, on subjects under a prefix unique to this process.

import { connect, type NatsConnection } from 'nats';
import { startServer, type ServerProcess } from './server-process.ts';
import type { RawNatsConfig } from './servers/raw-nats.ts';

/** A client connection and the server process it talks to. */
export interface NatsPair {
  readonly nc: NatsConnection;
  readonly server: ServerProcess;
  /** Subjects are `<prefix>.n`, `<prefix>.count`, `<prefix>.get`. */
  readonly prefix: string;
  /** Gets served so far (kept by the cases, for the lost-or-doubled check). */
  served: number;
  close(): Promise<void>;
}

/** Starts the raw-nats server process and connects here to the NATS server at `url`. */
export async function startNatsPair(url: string): Promise<NatsPair> {
  const cfg: RawNatsConfig = { natsUrl: url, prefix: `bench${process.pid}` };
  const server = await startServer('raw-nats.ts', { ...cfg });
  try {
    const nc = await connect({ servers: url });
    return { nc, server, prefix: cfg.prefix, served: 0, async close() { await nc.close(); await server.stop(); } };
  } catch (e) {
    await server.kill();
    throw e;
  }
}

/** Decodes a JSON reply body. */
export function jsonOf<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as T;
}
