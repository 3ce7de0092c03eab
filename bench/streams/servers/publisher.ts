// Server process of the e2e case: the publishing node. `troupe`: a TCP cluster node whose event bus
// keeps topic `orders` in a file backend (fsync 'always'); `raw`: a raw group-committed fsynced log
// (persist/raw-log.ts) whose records, once durable, go out as JSON frames on a TCP socket and are
// kept until the consumer acknowledges them. Publishes on the parent's command (IPC).

import { createServer, type Socket } from 'node:net';
import { createEventBus, createFileLogBackend } from '../../../actors/streams/index.ts';
import { createNode } from '../../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { journalDeps, removeScratchDir, scratchDir } from '../../persist/fixtures.ts';
import { RawLog, rawRecord } from '../../persist/raw-log.ts';
import { createJsonFrameReader, encodeJsonFrames } from '../../remote/raw-frames.ts';
import { serverConfig, serveUntilParentGoes } from '../../remote/server-process.ts';
import { e2eRegistry, type PublishCommand, type Published, type PublisherConfig, type RawAck } from '../e2e-protocol.ts';
import { itemAdded, nowUs, type Stamped } from '../fixtures.ts';

const config = serverConfig<PublisherConfig>();
const dir = scratchDir('e2e-publisher');

let publish: (e: Stamped) => Promise<unknown>;
let ready: { endpoint: string };
let cleanup: () => Promise<void>;

if (config.mode === 'troupe') {
  const node = await createNode({ name: 'bench', node: 'b', transport: createTcpTransport({ secret: config.secret }), seeds: [], registry: e2eRegistry() });
  const backend = await createFileLogBackend({ dir, name: 'b', journalOptions: { fsync: 'always' }, ...journalDeps() });
  const bus = createEventBus(node, { backend });
  const topic = bus.topic<Stamped>('orders');
  await node.cluster.whenUp();
  publish = (e) => topic.publish(e);
  ready = { endpoint: node.endpoint };
  cleanup = async () => { await bus.close(); await node.stop(); await backend.close(); removeScratchDir(dir); };
} else {
  const log = await RawLog.create(dir, 'always');
  let socket: Socket | undefined;
  let seq = 0;
  const unacked = new Map<number, Buffer>();
  const server = createServer((s) => {
    socket = s;
    s.setNoDelay(true);
    s.on('data', createJsonFrameReader((v) => { const upTo = (v as RawAck).a; for (const k of unacked.keys()) { if (k > upTo) break; unacked.delete(k); } }));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  publish = async (e) => {
    const text = JSON.stringify(e);
    await log.append(rawRecord('orders', 'item-added', e));
    const n = ++seq;
    const frame = encodeJsonFrames([`{"s":${n},"e":${text}}`]);
    unacked.set(n, frame);
    socket?.write(frame);
  };
  ready = { endpoint: `127.0.0.1:${port}` };
  cleanup = async () => { socket?.destroy(); server.close(); await log.close(); removeScratchDir(dir); };
}

async function runPhase(c: PublishCommand): Promise<Published> {
  const startUs = nowUs();
  if (c.rate === 0) {
    let next = 0;
    await Promise.all(Array.from({ length: c.publishers }, async () => {
      while (next < c.count) { const i = next++; await publish({ ...itemAdded(c.phase, i), t: nowUs() }); }
    }));
  } else {
    let sent = 0;
    const pending = new Set<Promise<unknown>>();
    while (sent < c.count) {
      const due = Math.min(c.count, Math.floor(((nowUs() - startUs) / 1e6) * c.rate) + 1);
      while (sent < due) {
        const p = publish({ ...itemAdded(c.phase, sent++), t: nowUs() });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
  }
  return { type: 'published', phase: c.phase, startUs, endUs: nowUs() };
}

process.on('message', (m: PublishCommand) => {
  if (m.type !== 'publish') return;
  runPhase(m).then((r) => process.send?.(r), (e: unknown) => { console.error('publisher failed:', e); process.exit(1); });
});

serveUntilParentGoes({ type: 'ready', endpoint: ready.endpoint, refs: {} }, cleanup);
