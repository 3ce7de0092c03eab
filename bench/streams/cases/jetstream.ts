// The JetStream backend vs the raw `nats` JetStream client on the same messages: W publishers
// (each awaiting its publish) put N `item-added` events into a file-storage stream while one
// durable consumer handles them (per-SKU running total) and acknowledges each. `options.mode`:
// 'troupe' (event bus on createJetStreamLogBackend, durable subscription) or 'raw' (js.publish of
// the record's JSON with Nats-Msg-Id, a durable pull consumer with explicit acks, `consume()`).

import '../../remote/require-nats.ts';
import { AckPolicy, connect, StorageType, type NatsConnection } from 'nats';
import { createEventBus, createJetStreamLogBackend } from '../../../actors/streams/index.ts';
import { createSystem } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { journalDeps } from '../../persist/fixtures.ts';
import { itemAdded, kept, natsUrl, secondsSince, Totals, type ItemAdded } from '../fixtures.ts';

let pass = 0;

/** Drives `publishers` concurrent awaited publishes of `size` events; resolves when all resolved. */
async function publishAll(size: number, publishers: number, publish: (i: number, e: ItemAdded) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: publishers }, async () => { while (next < size) { const i = next++; await publish(i, itemAdded(0, i)); } }));
}

async function cleanup(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}-`) || name === `KV_${prefix}-cursors`) await jsm.streams.delete(name).catch(() => undefined);
}

/** `size` events; reports `eventsPerSec` (first publish → last handled) and `publishPerSec` (first publish → last publish resolved). */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const mode = options.mode ?? 'troupe';
  const publishers = Number(options.publishers ?? 100);
  const prefix = `bj${process.pid}x${++pass}`;
  const nc = await connect({ servers: natsUrl() });
  const totals = new Totals();
  kept.push(totals);
  let finished!: () => void;
  const done = new Promise<void>((resolve) => { finished = resolve; });
  const onEvent = (e: ItemAdded): void => { totals.apply(e); if (totals.count === size) finished(); };
  try {
    if (mode === 'troupe') {
      const system = createSystem({ name: 'bench' });
      const backend = await createJetStreamLogBackend({ connection: nc, prefix });
      try {
        const bus = createEventBus(system, { backend });
        const topic = bus.topic<ItemAdded>('orders');
        topic.subscribe((e) => onEvent(e.data), { id: 'js' });
        const t0 = process.hrtime.bigint();
        await publishAll(size, publishers, (_i, e) => topic.publish(e));
        const publishPerSec = size / secondsSince(t0);
        await done;
        const eventsPerSec = size / secondsSince(t0);
        await bus.close();
        return { eventsPerSec, publishPerSec };
      } finally {
        await system.terminate();
        await backend.close();
      }
    }
    if (mode !== 'raw') throw new Error(`option mode=${mode}: use 'troupe' or 'raw'`);
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    const stream = `${prefix}-raw`;
    const subject = `${prefix}.raw`;
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 1, allow_direct: true });
    await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get(stream, 'raw');
    const messages = await consumer.consume();
    const consuming = (async () => { for await (const m of messages) { onEvent((m.json() as { data: ItemAdded }).data); m.ack(); } })();
    const ids = journalDeps().ids;
    const t0 = process.hrtime.bigint();
    await publishAll(size, publishers, (i, e) => {
      const id = ids();
      const record = { id, partition: i % 8, type: '', schemaVersion: 1, data: e, publishedAtMs: Date.now() };
      return js.publish(subject, JSON.stringify(record), { msgID: id });
    });
    const publishPerSec = size / secondsSince(t0);
    await done;
    const eventsPerSec = size / secondsSince(t0);
    await messages.close();
    await consuming;
    return { eventsPerSec, publishPerSec };
  } finally {
    await cleanup(nc, prefix);
    await nc.close();
  }
}
