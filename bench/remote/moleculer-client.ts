// The measuring side of the Moleculer baselines: a broker on the NATS transporter in this process,
// joined to the moleculer-node server process and waiting until its services are known.

import { ServiceBroker } from 'moleculer';
import { startServer, type ServerProcess } from './server-process.ts';
import type { MoleculerNodeConfig } from './servers/moleculer-node.ts';
import { natsUrl } from './workload.ts';

/** A client broker and the server process it talks to. */
export interface MoleculerPair {
  readonly broker: ServiceBroker;
  readonly server: ServerProcess;
  /** Gets served so far (kept by the cases, for the lost-or-doubled check). */
  served: number;
  close(): Promise<void>;
}

/** Starts the moleculer-node server process (namespace unique to this process) and a client broker here. */
export async function startMoleculerPair(): Promise<MoleculerPair> {
  const cfg: MoleculerNodeConfig = { natsUrl: natsUrl(), namespace: `bench${process.pid}` };
  const server = await startServer('moleculer-node.ts', { ...cfg });
  const broker = new ServiceBroker({ namespace: cfg.namespace, nodeID: `client-${process.pid}`, logger: false, transporter: { type: 'NATS', options: { url: cfg.natsUrl } } });
  try {
    await broker.start();
    await broker.waitForServices(['sink', 'counter'], 15_000);
  } catch (e) {
    await server.kill();
    throw e;
  }
  return { broker, server, served: 0, async close() { await broker.stop(); await server.stop(); } };
}
