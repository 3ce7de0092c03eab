// A node process of the streams crash spec (spec/actors/streams/streams-crash.spec.ts), run by
// runtime/cluster/local-node-main.ts over loopback TCP. Its role comes from its name: n1 publishes
// and hosts the group's ledger, n2 runs the durable subscriber `audit` and a `billing` group
// member, n3 the other `billing` member. Everything it keeps is under $CRASH_DIR/<node>/.

import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { registerReceptionistMessages } from '../../actors/receptionist.ts';
import { createFileJournal } from '../../actors/journal/file-journal.ts';
import type { Journal } from '../../actors/journal/journal.ts';
import {
  createEventBus, createFileLogBackend, createJetStreamLogBackend, createPgLogBackend, registerEventBusMessages,
  type BusEvent, type EventBus, type LogBackend, type SubscribeOptions, type Subscription, type Topic,
} from '../../actors/streams/index.ts';
import { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor } from '../../runtime/behavior.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { CRASH_TOPIC, effectRecords, effectStream, eventId, keyOf, LEDGER_APPLY, readAcked, type CrashEvent, type EffectData } from './streams-crash-check.ts';

const env = process.env;
const TOTAL = Number(env.CRASH_EVENTS ?? 2_000);
const BATCH = Number(env.CRASH_BATCH ?? 10);
const PAUSE_MS = Number(env.CRASH_PAUSE_MS ?? 40);

/** What the ledger answers a member: applied now, applied before (nothing done), or could not store it (retry). */
type LedgerOutcome = 'applied' | 'duplicate' | 'failed';
interface LedgerApply {
  readonly type: typeof LEDGER_APPLY;
  readonly id: string;
  readonly seq: number;
  readonly key: string;
  readonly by: string;
  readonly attempt: number;
  readonly replyTo: ActorRef<LedgerOutcome>;
}

// The parent is gone (the spec process died): do not outlive it.
process.on('disconnect', () => process.exit(3));
/** Tells the parent how far the setup got and the node's membership status then (`joining` until the cluster took it in). */
const phase = (node: ClusterNode, p: string): void => { try { process.send?.({ type: 'crash.phase', phase: `${p}:${node.cluster.self.status}` }); } catch { /* parent gone */ } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nodes of these specs log warnings and worse only (their stdout is the test run's). */
export const log = { level: 'warn' } as const;

export const registry = () => registerReceptionistMessages(registerEventBusMessages(createMessageRegistry())).define(LEDGER_APPLY, {
  version: 1,
  validate: (p) => {
    const m = p as Record<string, unknown>;
    return (typeof m.id === 'string' && typeof m.seq === 'number' && typeof m.key === 'string' && typeof m.by === 'string'
      && typeof m.attempt === 'number' && typeof m.replyTo === 'object') || `${LEDGER_APPLY} payload is malformed`;
  },
});

/**
 * Applies an effect at most once: appends the effect record to the stream named after the event id
 * with `expectedVersion: 0`. The record and the dedup mark are one fsynced write, so a crash
 * leaves either both or neither; a second application fails with `concurrency-conflict`.
 */
async function applyOnce(journal: Journal, data: EffectData): Promise<LedgerOutcome> {
  try {
    await journal.append(effectStream(data.id), [{ type: 'applied', data }], { expectedVersion: 0 });
    return 'applied';
  } catch (e) {
    if (!isTroupeError(e, 'concurrency-conflict')) return 'failed';
    state.suppressed++;
    return 'duplicate';
  }
}

/** The seqs a journal's effect records hold (its state at open), kept up to date by `mark`. */
async function appliedSet(journal: Journal): Promise<Set<number>> {
  return new Set(effectRecords(await journal.readAll()).map((r) => r.seq));
}

async function openBackend(node: ClusterNode, dir: string): Promise<LogBackend> {
  const name = node.system.node;
  switch (env.CRASH_BACKEND) {
    case 'pg': return createPgLogBackend({ connectionString: env.CRASH_PG_URL!, schema: env.CRASH_PG_SCHEMA! });
    case 'jetstream': return createJetStreamLogBackend({ servers: env.CRASH_NATS_URL!, prefix: env.CRASH_NATS_PREFIX! });
    default: return createFileLogBackend({ dir: join(dir, 'bus'), name, clock: node.system.clock, ids: node.system.ids });
  }
}

/** Retries forever (a crashed or joining peer is the normal case here); a dead letter would count as a lost event. */
const DELIVERY = { maxAttempts: 1_000_000, backoff: { minMs: 50, maxMs: 1_000 }, ackTimeoutMs: 20_000 } as const;

const state: {
  bus?: EventBus;
  published: number;
  publishFailures: number;
  publisherDone: boolean;
  /** Applications the effect store refused as already applied (redeliveries, republished ids) since this process started. */
  suppressed: number;
  applied?: Set<number>;
  subs: Subscription[];
} = { published: 0, publishFailures: 0, publisherDone: false, suppressed: 0, subs: [] };

/**
 * The publisher: publishes seqs 1…TOTAL in batches (one atomic, durable append each; ids and keys
 * derived from the seq), and after each resolved batch appends its seqs to acked.log and fsyncs
 * it. After a crash it resumes after the last acknowledged seq, publishing the rest again with the
 * same ids (a stored-but-unacknowledged batch is then in the log twice: the consumers' dedup's job).
 */
async function publisher(topic: Topic<CrashEvent>, dir: string): Promise<void> {
  const file = join(dir, 'acked.log');
  const fd = openSync(file, 'a+');
  const text = readFileSync(file, 'utf8');
  const whole = text.lastIndexOf('\n') + 1;
  if (whole < text.length) { ftruncateSync(fd, whole); fdatasyncSync(fd); } // drop a line the kill cut
  const acked = readAcked(file);
  let next = acked.reduce((m, s) => Math.max(m, s), 0) + 1;
  state.published = next - 1;
  while (next <= TOTAL) {
    const seqs = Array.from({ length: Math.min(BATCH, TOTAL - next + 1) }, (_, i) => next + i);
    try {
      await topic.publishBatch(seqs.map((seq) => ({ data: { seq }, options: { id: eventId(seq), key: keyOf(seq) } })));
    } catch {
      state.publishFailures++;
      await sleep(100);
      continue; // the same batch again, same ids
    }
    writeSync(fd, seqs.map((s) => `${s}\n`).join(''));
    fdatasyncSync(fd);
    next += seqs.length;
    state.published = next - 1;
    await sleep(PAUSE_MS);
  }
  closeSync(fd);
  state.publisherDone = true;
}

/** The group's shared effect target on n1: applies each event id once, in its own file journal. */
function spawnLedger(node: ClusterNode, journal: Journal, applied: Set<number>): void {
  node.system.spawn(defineActor<LedgerApply, undefined>({
    name: 'crash-ledger',
    init: () => undefined,
    receive: (_s, m) => {
      void applyOnce(journal, { id: m.id, seq: m.seq, key: m.key, by: m.by, attempt: m.attempt }).then((outcome) => {
        if (outcome !== 'failed') applied.add(m.seq);
        try { m.replyTo.tell(outcome); } catch { /* system terminated */ }
      });
    },
  }), 'ledger');
}

/** A `billing` member: applies each event through the ledger on n1 (remote ask); no answer = a nack, redelivered later. */
function member(node: ClusterNode, topic: Topic<CrashEvent>): Subscription {
  let ledger: ActorRef<LedgerApply> | undefined;
  return topic.subscribe(async (e: BusEvent<CrashEvent>, info) => {
    ledger ??= await node.cluster.identify<LedgerApply>('n1', '/user/ledger', 2_000);
    if (ledger === undefined) throw new Error('the ledger on n1 is not reachable');
    const to = ledger;
    let outcome: LedgerOutcome;
    try {
      outcome = await to.ask<LedgerOutcome>((replyTo) => ({ type: LEDGER_APPLY, id: e.id, seq: e.data.seq, key: e.key ?? '', by: node.system.node, attempt: info.attempt, replyTo }), { timeoutMs: 3_000 });
    } catch (err) {
      ledger = undefined;
      throw err;
    }
    if (outcome === 'failed') throw new Error('the ledger could not store the effect');
  }, { group: 'billing', ...DELIVERY } satisfies SubscribeOptions<CrashEvent>);
}

export async function setup(node: ClusterNode): Promise<void> {
  const name = node.system.node;
  const dir = join(env.CRASH_DIR!, name);
  mkdirSync(dir, { recursive: true });
  phase(node, 'setup');
  const backend = await openBackend(node, dir);
  phase(node, 'backend');
  const bus = createEventBus(node, { backend, pollMs: 200, requestTimeoutMs: 2_000 });
  state.bus = bus;
  const topic = bus.topic<CrashEvent>(CRASH_TOPIC);
  const open = (sub: string) => createFileJournal({ dir: join(dir, sub), clock: node.system.clock, ids: node.system.ids });
  if (name === 'n1') {
    const journal = await open('ledger');
    state.applied = await appliedSet(journal);
    spawnLedger(node, journal, state.applied);
    void publisher(topic, dir);
  } else if (name === 'n2') {
    const journal = await open('audit');
    const applied = await appliedSet(journal);
    state.applied = applied;
    state.subs.push(topic.subscribe(async (e, info) => {
      const outcome = await applyOnce(journal, { id: e.id, seq: e.data.seq, key: e.key ?? '', by: name, attempt: info.attempt });
      if (outcome === 'failed') throw new Error('the audit effect store failed');
      applied.add(e.data.seq);
    }, { id: 'audit', ...DELIVERY }));
    state.subs.push(member(node, topic));
  } else {
    state.subs.push(member(node, topic));
  }
  phase(node, 'subscribed');
}

export const control = {
  /** Progress as seen by this node: the publisher's, and the seqs its effect store holds (audit on n2, the ledger on n1). */
  progress: () => ({ published: state.published, suppressed: state.suppressed, publisherDone: state.publisherDone, publishFailures: state.publishFailures, applied: state.applied === undefined ? null : [...state.applied] }),
  /** The consumers' status (for the failure report). */
  status: async () => Promise.all(state.subs.map((s) => s.status())),
  /** Dead letters of both consumers (every one would be an event given up on). */
  deadLetters: async () => ({
    audit: (await state.bus!.deadLetters(CRASH_TOPIC, 'audit')).map((d) => `${d.event.id}: ${d.error}`),
    billing: (await state.bus!.deadLetters(CRASH_TOPIC, 'billing')).map((d) => `${d.event.id}: ${d.error}`),
  }),
};
