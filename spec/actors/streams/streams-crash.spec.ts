// The crash proof of the durable event bus (issue 7): three node processes on 127.0.0.1 form a
// Troupe cluster over TCP; n1 publishes a few thousand keyed events, n2 runs a durable subscriber
// (`id: 'audit'`) and a `billing` group member, n3 the other member. Nodes are SIGKILLed at seeded
// random moments — the publisher, the consumer, a group member, a node while it is joining — and
// restarted with the same name and data directory. After a drain, the consumers' own durable
// records must show every acknowledged publish applied, none applied twice, and per-key order.
//
// How "applied once in effect" is made checkable (the choice this spec makes):
// - the publisher records each publish only after `publishBatch` resolved, in an fsynced line
//   file (n1/acked.log); a batch stored but not yet recorded is published again with the same ids
//   after a restart, so the log may hold an event twice — the consumers must cope;
// - the durable subscriber applies an event by appending its effect record to the stream
//   `fx.<event id>` with `expectedVersion: 0` in its own node's file journal (n2/audit): record
//   and dedup mark are one fsynced write, a second application fails with `concurrency-conflict`,
//   which the handler treats as already applied (and acknowledges);
// - the group's members are on two nodes, so a partition handed over after a crash could apply one
//   event on both: their effect target is a shared, durable ledger actor on n1 (the idempotent
//   receiver), which the members call by remote ask and which applies the same `fx.<id>` append
//   in n1's ledger journal (n1/ledger). A member that gets no answer nacks; the event comes again.
// The checker reads those journals after every process is stopped; its own spec below shows it
// fails on a lost, a doubled and a reordered record (and on a run with dedup turned off by hand).
//
// Real processes, real time: loopback only, every process is SIGKILLed by its pid at the end.
// Env: TROUPE_CRASH_SEED (the kill schedule; printed), TROUPE_CRASH_EVENTS, TROUPE_CRASH_ROUNDS,
// TROUPE_DEBUG (node output). PostgreSQL / JetStream runs need TROUPE_PG_URL / TROUPE_NATS_URL.

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { connect } from 'nats';
import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import { createSeededRandom, type Random } from '../../../runtime/random.ts';
import type { ToChild, ToParent } from '../../../runtime/cluster/local-cluster.ts';
import { checkEffects, effectRecords, eventId, keyOf, readAcked, type EffectRecord } from '../../helpers/streams-crash-check.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { suite } from '../../helpers/uvu.ts';

const MAIN = fileURLToPath(new URL('../../../runtime/cluster/local-node-main.ts', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../helpers/streams-crash-node.ts', import.meta.url));
const SEED = Number(process.env.TROUPE_CRASH_SEED ?? (Date.now() % 1_000_000_007));
const ROUNDS = Number(process.env.TROUPE_CRASH_ROUNDS ?? 4);
const DEBUG = process.env.TROUPE_DEBUG !== undefined;
const NODES = ['n1', 'n2', 'n3'] as const;
type NodeName = (typeof NODES)[number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every 25 ms; rejects naming `what` (and what `detail` says) after `limitMs`. */
async function until(ok: () => boolean | Promise<boolean>, what: string, limitMs: number, detail: () => string = () => ''): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms. ${detail()}`);
    await sleep(25);
  }
}

/** One node process (local-node-main.ts running the crash entry), restartable under the same name and directory. */
class NodeProc {
  child: ChildProcess | undefined;
  endpoint = '';
  up: string[] = [];
  phases: string[] = [];
  stderr = '';
  private calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextCall = 0;

  constructor(readonly name: NodeName, private readonly env: Record<string, string>, private readonly pids: Set<number>) {}

  get alive(): boolean { return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null; }
  /** Up in its own view and done with its setup (only then does local-node-main answer calls). */
  get isUp(): boolean { return this.alive && this.up.includes(this.name) && this.phases.some((p) => p.startsWith('subscribed')); }

  start(seeds: string[]): void {
    this.endpoint = ''; this.up = []; this.phases = [];
    const child = fork(MAIN, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...this.env, TROUPE_NODE: this.name, TROUPE_SEEDS: seeds.join(','), TROUPE_ENTRY: ENTRY },
      stdio: DEBUG ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    if (child.pid !== undefined) this.pids.add(child.pid);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => { this.stderr = (this.stderr + s).slice(-4_000); });
    child.on('message', (raw) => {
      if (child !== this.child) return;
      const m = raw as ToParent | { type: 'crash.phase'; phase: string };
      if (m.type === 'members') { this.endpoint = m.endpoint; this.up = m.up; }
      else if (m.type === 'crash.phase') this.phases.push(m.phase);
      else if (m.type === 'result') {
        const c = this.calls.get(m.id);
        this.calls.delete(m.id);
        if (m.ok) c?.resolve(m.value); else c?.reject(new Error(m.error));
      }
    });
    child.on('exit', () => {
      if (child !== this.child) return;
      for (const c of this.calls.values()) c.reject(new Error(`node ${this.name} exited`));
      this.calls.clear();
    });
  }

  /** Calls `control[name]` in the node; rejects if it exits or does not answer within 10 s. */
  call<T>(name: string, ...args: unknown[]): Promise<T> {
    if (!this.alive || this.child === undefined) return Promise.reject(new Error(`node ${this.name} is not running`));
    const id = ++this.nextCall;
    const child = this.child;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.calls.delete(id); reject(new Error(`node ${this.name} did not answer ${name}`)); }, 10_000);
      const settle = <A>(f: (a: A) => void) => (a: A): void => { clearTimeout(timer); f(a); };
      this.calls.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      child.send({ type: 'call', id, name, args } satisfies ToChild);
    });
  }

  /** SIGKILL by pid, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid!, 'SIGKILL');
    await gone;
    assert.is(child.signalCode, 'SIGKILL', `${this.name} died by SIGKILL`);
  }

  /** Leaves the cluster and exits (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try { child.send({ type: 'leave' } satisfies ToChild); } catch { /* channel closed */ }
    const t = setTimeout(() => { if (this.alive) process.kill(child.pid!, 'SIGKILL'); }, 5_000);
    await gone;
    clearTimeout(t);
  }
}

interface Run { readonly nodes: Map<NodeName, NodeProc>; readonly log: string[] }

const allUp = (run: Run): boolean => [...run.nodes.values()].every((n) => n.isUp && NODES.every((o) => n.up.includes(o)));
const views = (run: Run): string => [...run.nodes.values()].map((n) => `${n.name}${n.alive ? '' : '(dead)'} sees [${n.up.join(' ')}] phases [${n.phases.join(' ')}]`).join('; ');
const seedsFor = (run: Run, name: NodeName): string[] => [...run.nodes.values()].filter((n) => n.name !== name && n.isUp && n.endpoint !== '').map((n) => n.endpoint);

async function waitAllUp(run: Run, what: string): Promise<void> {
  await until(() => allUp(run), `${what}: the three nodes see each other up`, 30_000, () => views(run));
}

/** Kills `name` at once (SIGKILL), waits a random moment, starts it again with the same name and directory. */
async function crashAndRestart(run: Run, random: Random, name: NodeName): Promise<void> {
  const node = run.nodes.get(name)!;
  await node.kill();
  await sleep(random.int(800));
  node.start(seedsFor(run, name));
}

/**
 * Starts `name` again and SIGKILLs it while it is joining: a random 0–40 ms after its entry
 * started (its bus is being set up, the cluster has not taken it in), then starts it once more.
 */
async function killWhileJoining(run: Run, random: Random, name: NodeName): Promise<string> {
  const node = run.nodes.get(name)!;
  await node.kill();
  node.start(seedsFor(run, name));
  await until(() => node.phases.length > 0 || !node.alive, `${name} starts`, 20_000, () => node.stderr);
  await sleep(random.int(40));
  const how = node.isUp ? 'already up' : `joining (phases: ${node.phases.join(',')})`;
  await node.kill();
  await sleep(random.int(500));
  node.start(seedsFor(run, name));
  return how;
}

interface Scenario {
  readonly backend: 'file' | 'pg' | 'jetstream';
  readonly events: number;
  readonly env: Record<string, string>;
}

/** Runs the whole scenario in a fresh directory and returns every problem the checker finds (empty = proof holds). */
async function runScenario(s: Scenario): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-streams-crash-'));
  const pids = new Set<number>();
  const random = createSeededRandom(SEED);
  const started = Date.now();
  const env = {
    // Batches of 10, paced so publishing spans the first ~16 s of the kill rounds.
    ...s.env, CRASH_DIR: dir, CRASH_BACKEND: s.backend, CRASH_EVENTS: String(s.events), CRASH_BATCH: '10', CRASH_PAUSE_MS: String(Math.round(16_000 / (s.events / 10))),
    TROUPE_SYSTEM: 'crash', TROUPE_SECRET: randomBytes(32).toString('base64url'),
  };
  const run: Run = { nodes: new Map(NODES.map((n) => [n, new NodeProc(n, env, pids)])), log: [] };
  const say = (line: string): void => { run.log.push(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`); };
  console.log(`  streams crash (${s.backend}): seed ${SEED} (TROUPE_CRASH_SEED=${SEED} to replay the kill schedule), ${s.events} events, ${ROUNDS} rounds`);
  try {
    const n1 = run.nodes.get('n1')!;
    n1.start([]);
    await until(() => n1.endpoint !== '', 'n1 starts', 30_000, () => n1.stderr);
    for (const n of ['n2', 'n3'] as const) run.nodes.get(n)!.start([n1.endpoint]);
    await waitAllUp(run, 'start');
    say('cluster up');

    const kinds = ['publisher', 'consumer', 'group member', 'joining'] as const;
    for (let round = 0; round < ROUNDS; round++) {
      const kind = kinds[round % kinds.length];
      await sleep(200 + random.int(1_500));
      const published = await n1.call<{ published: number }>('progress').then((p) => p.published, () => -1);
      if (kind === 'joining') {
        const name = NODES[random.int(NODES.length)];
        const how = await killWhileJoining(run, random, name);
        say(`round ${round + 1}: killed ${name} while ${how} (publisher at ${published})`);
      } else {
        const name: NodeName = kind === 'publisher' ? 'n1' : kind === 'consumer' ? 'n2' : 'n3';
        await crashAndRestart(run, random, name);
        say(`round ${round + 1}: killed the ${kind} ${name} (publisher at ${published})`);
      }
      await waitAllUp(run, `round ${round + 1}`);
      say(`round ${round + 1}: cluster up again`);
    }

    // Drain: everything up, until the publisher is done and both effect stores hold every acknowledged event.
    const ackFile = join(dir, 'n1', 'acked.log');
    let last = '';
    let suppressed = '';
    await until(async () => {
      const [p1, p2] = await Promise.all([n1.call<Progress>('progress'), run.nodes.get('n2')!.call<Progress>('progress')]);
      const acked = readAcked(ackFile);
      const ledger = new Set(p1.applied ?? []), audit = new Set(p2.applied ?? []);
      const missL = acked.filter((q) => !ledger.has(q)), missA = acked.filter((q) => !audit.has(q));
      suppressed = `suppressed as already applied since the last restart: audit ${p2.suppressed}, ledger ${p1.suppressed}`;
      last = `publisher at ${p1.published}/${s.events} (done ${p1.publisherDone}, ${p1.publishFailures} failed publishes), acked ${acked.length}; ledger misses ${missL.length} [${missL.slice(0, 5).map(eventId)}], audit misses ${missA.length} [${missA.slice(0, 5).map(eventId)}]`;
      return p1.publisherDone && missL.length === 0 && missA.length === 0;
    }, 'drain', 40_000, () => last).catch(async (e: Error) => {
      const status = await Promise.all(['n2', 'n3'].map((n) => run.nodes.get(n as NodeName)!.call('status').catch((x: Error) => x.message)));
      throw new Error(`${e.message}\nconsumer status: ${JSON.stringify(status)}`);
    });
    say(`drained: ${last}; ${suppressed}`);
    const dead = await run.nodes.get('n2')!.call<{ audit: string[]; billing: string[] }>('deadLetters');

    for (const n of run.nodes.values()) await n.stop();
    say('stopped');

    // The check, from the records on disk only.
    const acked = readAcked(ackFile);
    const read = async (sub: string): Promise<EffectRecord[]> => {
      const j = await createFileJournal({ dir: join(dir, sub), clock: { now: () => 0 }, ids: () => 'x' });
      try { return effectRecords(await j.readAll()); } finally { await j.close(); }
    };
    const audit = await read('n2/audit');
    const ledger = await read('n1/ledger');
    const problems = [
      ...checkEffects('audit (durable subscriber)', acked, audit, s.events),
      ...checkEffects('billing (group, ledger on n1)', acked, ledger, s.events),
      ...(dead.audit.length + dead.billing.length > 0 ? [`dead letters: ${JSON.stringify(dead)}`] : []),
    ];
    const by = (rs: EffectRecord[]) => Object.entries(rs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.by]: (m[r.by] ?? 0) + 1 }), {})).map(([k, v]) => `${k} ${v}`).join(', ');
    const retried = (rs: EffectRecord[]) => rs.filter((r) => r.attempt > 1).length;
    say(`acked ${acked.length}; audit records ${audit.length} (${retried(audit)} applied on a retry); ledger records ${ledger.length} (by ${by(ledger)}; ${retried(ledger)} applied on a retry)`);
    console.log(run.log.map((l) => `    ${l}`).join('\n'));
    assert.ok(acked.length > 0, 'the publisher acknowledged publishes');
    assert.equal(problems, [], `seed ${SEED}: ${problems.join('\n')}`);
  } catch (e) {
    if (!run.log.some((l) => l.includes('acked '))) console.log(run.log.map((l) => `    ${l}`).join('\n'));
    for (const n of run.nodes.values()) if (n.stderr) console.log(`    --- ${n.name} stderr ---\n${n.stderr}`);
    throw e;
  } finally {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
    await rm(dir, { recursive: true, force: true });
  }
}

interface Progress { published: number; suppressed: number; publisherDone: boolean; publishFailures: number; applied: number[] | null }

// ---- the checker can fail ------------------------------------------------------------------------

const checker = suite('streams crash: the checker');

checker('it reports a lost, a doubled, a reordered and an unknown record, and passes a clean one', () => {
  const rec = (seq: number, position: number, by = 'n2'): EffectRecord => ({ id: eventId(seq), seq, key: keyOf(seq), by, attempt: 1, position });
  const acked = [1, 2, 3, 14, 27];
  const clean = [rec(1, 1), rec(2, 2), rec(3, 3), rec(14, 4), rec(27, 5), rec(40, 6)]; // 40: published, not acked
  assert.equal(checkEffects('c', acked, clean, 40), []);
  assert.match(checkEffects('c', acked, clean.filter((r) => r.seq !== 14), 40).join(), /1 acknowledged event\(s\) never applied \(lost\): ev-000014/);
  assert.equal(checkEffects('c', acked, [...clean, rec(2, 7, 'n3')], 40), ['c: 1 event(s) applied more than once: ev-000002×2'], 'a repeat is a double application, not an order break');
  // 1, 14, 27 share key k1: 14 applied after 27 breaks the key's order
  assert.match(checkEffects('c', acked, [rec(1, 1), rec(2, 2), rec(3, 3), rec(27, 4), rec(14, 5)], 40).join(), /key k1 out of order: ev-000014/);
  assert.match(checkEffects('c', acked, [...clean, rec(41, 7)], 40).join(), /not an event that was published/);
});

checker.run();

// ---- the scenario, per backend ---------------------------------------------------------------------

const scenarios = suite('streams crash: SIGKILLed nodes lose, double and reorder nothing', undefined, { limitMs: 90_000 });

scenarios('embedded file backend (each node\'s log in its own file journal)', async () => {
  await runScenario({ backend: 'file', events: Number(process.env.TROUPE_CRASH_EVENTS ?? 1_500), env: {} });
});

const pgUrl = serviceUrl('postgres', 'streams crash (PostgreSQL)');
if (pgUrl) {
  scenarios('PostgreSQL backend (one shared log, fresh schema)', async () => {
    const schema = `troupe_crash_${process.pid}_${Date.now() % 1_000_000}`;
    try {
      await runScenario({ backend: 'pg', events: Number(process.env.TROUPE_CRASH_EVENTS ?? 800), env: { CRASH_PG_URL: pgUrl, CRASH_PG_SCHEMA: schema } });
    } finally {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
    }
  });
}

const natsUrl = serviceUrl('nats', 'streams crash (JetStream)');
if (natsUrl) {
  scenarios('JetStream backend (one shared log, unique prefix)', async () => {
    const prefix = `tcrash${randomBytes(4).toString('hex')}`;
    try {
      await runScenario({ backend: 'jetstream', events: Number(process.env.TROUPE_CRASH_EVENTS ?? 800), env: { CRASH_NATS_URL: natsUrl, CRASH_NATS_PREFIX: prefix } });
    } finally {
      const nc = await connect({ servers: natsUrl });
      try {
        const jsm = await nc.jetstreamManager();
        const doomed: string[] = [];
        for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}-`) || name === `KV_${prefix}-cursors`) doomed.push(name);
        await Promise.all(doomed.map((n) => jsm.streams.delete(n)));
      } finally { await nc.close(); }
    }
  });
}

scenarios.run();
