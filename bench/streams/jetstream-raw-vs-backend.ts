// Append throughput of the JetStream log backend against the raw nats.js JetStream client
// publishing the same records (JSON body + Nats-Msg-Id) to a stream of the same config, and its
// read (parallel direct gets) against an ordered consumer. No assertion.
//
//   source /tmp/env.sh && npx tsx bench/streams/jetstream-raw-vs-backend.ts   (BENCH_SCALE=0.2 for a smoke run)

import { loadavg, cpus } from 'node:os';
import { connect, StorageType } from 'nats';
import { createJetStreamLogBackend } from '../../actors/streams/jetstream-log.ts';
import type { NewLogRecord } from '../../actors/streams/log-source.ts';

const servers = process.env.TROUPE_NATS_URL ?? 'nats://127.0.0.1:4222';
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_RUNS ?? 5);
const prefix = `bench${process.pid}`;

const records = (n: number, tag: string): NewLogRecord[] => Array.from({ length: n }, (_, i) => ({
  id: `${tag}-${i}`, key: `order-${i % 64}`, partition: i % 8, type: 'order-placed', schemaVersion: 1,
  data: { orderId: `order-${i}`, lines: [{ sku: 'sku-1', qty: 2 }, { sku: 'sku-2', qty: 1 }], total: 42.5 }, publishedAtMs: 1_700_000_000_000 + i,
}));

const nc = await connect({ servers });
const js = nc.jetstream();
const jsm = await nc.jetstreamManager();
const backend = await createJetStreamLogBackend({ connection: nc, prefix });
const rawStream = `${prefix}-raw`;
await jsm.streams.add({ name: rawStream, subjects: [`${prefix}.raw`], storage: StorageType.File, num_replicas: 1, allow_direct: true });

type Pattern = { name: string; total: number; batch: number; inFlight: number };
const patterns: Pattern[] = [
  { name: 'batches of 100, 4 in flight', total: Math.round(20_000 * scale), batch: 100, inFlight: 4 },
  { name: 'single records, 16 in flight', total: Math.round(4_000 * scale), batch: 1, inFlight: 16 },
  { name: 'single records, one at a time', total: Math.round(1_000 * scale), batch: 1, inFlight: 1 },
];

/** Runs `append` over `recs` in batches with `inFlight` batches outstanding; records/s. */
async function drive(recs: NewLogRecord[], p: Pattern, append: (batch: NewLogRecord[]) => Promise<unknown>): Promise<number> {
  const batches: NewLogRecord[][] = [];
  for (let i = 0; i < recs.length; i += p.batch) batches.push(recs.slice(i, i + p.batch));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: p.inFlight }, async () => { while (next < batches.length) await append(batches[next++]); }));
  return recs.length / ((performance.now() - t0) / 1000);
}

const raw = (batch: NewLogRecord[]): Promise<unknown> =>
  Promise.all(batch.map((r) => js.publish(`${prefix}.raw`, Buffer.from(JSON.stringify(r)), { msgID: r.id })));
const viaBackend = (batch: NewLogRecord[]): Promise<unknown> => backend.local.append('bench', batch);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`JetStream append: raw nats.js vs the log backend — ${servers}, ${cpus().length} cpus, load before ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${rounds} alternating rounds`);
let seq = 0;
for (const p of patterns) {
  await drive(records(Math.min(p.total, 500), `w${seq++}`), p, raw);
  await drive(records(Math.min(p.total, 500), `w${seq++}`), p, viaBackend);
  const r: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    r.push(await drive(records(p.total, `r${seq++}`), p, raw));
    b.push(await drive(records(p.total, `b${seq++}`), p, viaBackend));
  }
  const mr = median(r);
  const mb = median(b);
  console.log(`${p.name.padEnd(32)} raw ${mr.toFixed(0).padStart(7)} rec/s   backend ${mb.toFixed(0).padStart(7)} rec/s   backend/raw ${(mb / mr).toFixed(2)}`);
}
// Reads: the backend's read (stream info + parallel direct gets) vs an ordered consumer fetching from the same sequence.
const stream = `${prefix}-t-bench`;
for (const count of [10, 100, 1_000]) {
  const viaRead: number[] = [];
  const viaConsumer: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t0 = performance.now();
    const got = await backend.local.read('bench', 1 + i * count, count);
    viaRead.push(performance.now() - t0);
    t0 = performance.now();
    const consumer = await js.consumers.get(stream, { opt_start_seq: 1 + i * count });
    const iter = await consumer.fetch({ max_messages: count, expires: 5_000 });
    let n = 0;
    for await (const m of iter) { JSON.parse(m.string().slice(m.string().indexOf('\n') + 1)); if (++n >= count) break; }
    viaConsumer.push(performance.now() - t0);
    if (got.length !== count || n !== count) throw new Error(`read ${got.length} / consumed ${n}, wanted ${count}`);
  }
  console.log(`read ${String(count).padStart(5)} records          backend read ${median(viaRead).toFixed(1).padStart(7)} ms   ordered consumer ${median(viaConsumer).toFixed(1).padStart(7)} ms`);
}
console.log(`load after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

await backend.close();
for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}-`) || name === `KV_${prefix}-cursors`) await jsm.streams.delete(name);
await nc.close();
