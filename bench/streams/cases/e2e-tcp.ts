// Publisher node → consumer node over TCP on loopback, at-least-once. The publisher (a forked
// process, servers/publisher.ts) publishes durably; this process consumes and handles each event
// with a synchronous per-SKU running total (fixtures.ts `Totals`). Two phases per pass: the max
// rate (`options.publishers`, default 100, concurrent awaited publishes; rate = events / (first
// publish → last handled)), then half that rate for `options.loadSeconds` (default 3) s, timing
// each event from its publish call (stamp in the event) to its handler (monotonic clock, shared by
// both processes). `options.mode`: 'troupe' (event bus, file backend, durable consumer `e2e`) or
// 'raw' (raw fsynced log + JSON frames over TCP + batched ack frames).

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createEventBus, createMemoryLogBackend, type EventBus } from '../../../actors/streams/index.ts';
import { createNode, type ClusterNode } from '../../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { percentile } from '../../harness/stats.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses } from '../../remote/kept-across-passes.ts';
import { createJsonFrameReader, encodeJsonFrames } from '../../remote/raw-frames.ts';
import { untilMemberUp } from '../../remote/troupe-pair.ts';
import { e2eRegistry, type PublishCommand, type Published, type PublisherConfig } from '../e2e-protocol.ts';
import { kept, nowUs, Totals, until, type Stamped } from '../fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const serverPath = fileURLToPath(new URL('../servers/publisher.ts', import.meta.url));

/** Per phase: events handled, and the latency (µs) of each first delivery. */
class Phase {
  handled = 0;
  lastUs = 0;
  readonly latencies: Float64Array;
  constructor(readonly id: number, readonly count: number) { this.latencies = new Float64Array(count); }
}

interface Pair {
  readonly child: ChildProcess;
  readonly replies: Map<number, (p: Published) => void>;
  current: Phase | undefined;
  readonly totals: Totals;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } });

function onEvent(pair: Pair, e: Stamped): void {
  pair.totals.apply(e);
  const ph = pair.current;
  if (ph === undefined || e.writer !== ph.id) return;
  if (ph.handled < ph.count) ph.latencies[ph.handled] = nowUs() - e.t;
  ph.handled++;
  ph.lastUs = nowUs();
}

async function start(mode: 'troupe' | 'raw', secret: string): Promise<Pair> {
  const config: PublisherConfig = { mode, secret };
  const child = fork(serverPath, [JSON.stringify(config)], { cwd: repoRoot, execArgv: ['--import', 'tsx', ...(process.env.BENCH_STREAMS_SERVER_ARGS ?? '').split(' ').filter(Boolean)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  const replies = new Map<number, (p: Published) => void>();
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('publisher not ready within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`publisher exited (code ${code}) before it was ready`)));
    child.on('message', (m: { type: string; endpoint?: string; phase?: number }) => {
      if (m.type === 'ready') { clearTimeout(timer); resolve(m.endpoint!); }
      if (m.type === 'published') replies.get(m.phase!)?.(m as Published);
    });
  });
  const stopChild = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGTERM');
    const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3_000);
    await exited;
    clearTimeout(t);
    live.delete(child);
  };
  const totals = new Totals();
  kept.push(totals);
  const pair: Pair = { child, replies, current: undefined, totals, close: stopChild };
  if (mode === 'troupe') {
    const node: ClusterNode = await createNode({ name: 'bench', node: 'a', transport: createTcpTransport({ secret }), seeds: [endpoint], registry: e2eRegistry() });
    await node.cluster.whenUp();
    await untilMemberUp(node, 'b');
    const bus: EventBus = createEventBus(node, { backend: createMemoryLogBackend({ name: 'a' }) });
    bus.topic<Stamped>('orders').subscribe((e) => onEvent(pair, e.data), { id: 'e2e' });
    pair.close = async () => { await bus.close(); await node.stop(); await stopChild(); };
  } else {
    const [host, port] = endpoint.split(':');
    const socket: Socket = await new Promise((resolve, reject) => { const s = connect(Number(port), host, () => resolve(s)); s.once('error', reject); });
    socket.setNoDelay(true);
    const read = createJsonFrameReader((v) => { const m = v as { s: number; e: Stamped }; onEvent(pair, m.e); upTo = m.s; });
    let upTo = 0;
    socket.on('data', (chunk) => { read(chunk); socket.write(encodeJsonFrames([`{"a":${upTo}}`])); });
    pair.close = async () => { socket.destroy(); await stopChild(); };
  }
  return pair;
}

let phases = 0;
async function phase(pair: Pair, count: number, rate: number, publishers: number): Promise<{ ph: Phase; sent: Published }> {
  const ph = new Phase(++phases, count);
  pair.current = ph;
  const sent = new Promise<Published>((resolve) => pair.replies.set(ph.id, resolve));
  pair.child.send({ type: 'publish', phase: ph.id, count, rate, publishers } satisfies PublishCommand);
  const published = await sent;
  await until(() => ph.handled >= count, () => `phase ${ph.id}: handled ${ph.handled}/${count}`, 60_000);
  return { ph, sent: published };
}

const secret = randomBytes(16).toString('hex');
const pairs = new Map<string, ReturnType<typeof keptAcrossPasses<Pair>>>();

/** `size` events at the max rate, then half that rate for `loadSeconds`; reports rates and loaded latency (ms). */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const mode = options.mode ?? 'troupe';
  if (mode !== 'troupe' && mode !== 'raw') throw new Error(`option mode=${mode}: use 'troupe' or 'raw'`);
  const publishers = Number(options.publishers ?? 100);
  const loadSeconds = Number(options.loadSeconds ?? 3) * (warmup ? 0.2 : 1);
  let kept = pairs.get(mode);
  if (!kept) { kept = keptAcrossPasses(() => start(mode, secret), (p) => p.close()); pairs.set(mode, kept); }
  const pair = await kept.get();
  try {
    const max = await phase(pair, size, 0, publishers);
    const maxEventsPerSec = size / ((max.ph.lastUs - max.sent.startUs) / 1e6);
    const rate = Math.max(1, Math.round(maxEventsPerSec / 2));
    const count = Math.max(100, Math.round(rate * loadSeconds));
    const loaded = await phase(pair, count, rate, publishers);
    const lat = loaded.ph.latencies.sort();
    return {
      maxEventsPerSec,
      loadPerSec: rate,
      loadedEventsPerSec: count / ((loaded.ph.lastUs - loaded.sent.startUs) / 1e6),
      loadedP50Ms: percentile(lat, 50) / 1e3,
      loadedP99Ms: percentile(lat, 99) / 1e3,
      loadedMaxMs: lat[lat.length - 1] / 1e3,
    };
  } finally {
    await kept.release(warmup);
  }
}
