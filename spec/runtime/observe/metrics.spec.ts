// /metrics as a Prometheus server reads it: after a small workload on a node of a simulated
// cluster (virtual time) every runtime family is there with its type and labels, parsed by a real
// text-format parser; values move with the work; cardinality stays bounded; user metrics appear.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { parseFamilies, sampleValue, seriesCount } from '../../helpers/prom-text.ts';
import {
  createEventBus, createSystem, defineActor, defineSaga, isTroupeError, observeJournal, serveMetrics, startSaga,
  type ActorRef, type ActorSystem, type SagaHandle,
} from '../../../runtime/index.ts';
import { createSimCluster, createTestSystem, type SimCluster } from '../../../runtime/testing.ts';

type WorkMsg = { type: 'work' } | { type: 'later' } | { type: 'hold'; ms: number } | { type: 'crash' } | { type: 'ping'; replyTo: ActorRef<string> };

const mute = defineActor<{ type: 'ping'; replyTo: ActorRef<string> }, undefined>({ name: 'mute', init: () => undefined, receive: () => undefined });

const worker = defineActor<WorkMsg, number>({
  name: 'worker',
  init: () => 0,
  receive: (n, m, ctx) => {
    switch (m.type) {
      case 'work': return n + 1;
      case 'later': return Promise.resolve().then(() => n + 1);
      case 'hold': return ctx.ask(ctx.spawn(mute), (replyTo: ActorRef<string>) => ({ type: 'ping', replyTo }), { timeoutMs: m.ms }).then(() => n, () => n + 1); // busy for m.ms
      case 'crash': throw new Error('crash on purpose');
      case 'ping': ctx.send(m.replyTo, 'pong'); return n;
    }
  },
});
/** [name, Prometheus type, label names of its samples]: every family the runtime exports. */
const FAMILIES: readonly (readonly [string, 'COUNTER' | 'GAUGE' | 'HISTOGRAM', readonly string[]])[] = [
  ['troupe_actors_alive', 'GAUGE', ['actor_class']],
  ['troupe_actor_messages_processed_total', 'COUNTER', ['actor_class']],
  ['troupe_actor_processing_seconds', 'HISTOGRAM', ['actor_class']],
  ['troupe_actor_mailbox_messages', 'GAUGE', ['actor_class']],
  ['troupe_actor_mailbox_high_water_messages', 'GAUGE', ['actor_class']],
  ['troupe_actor_restarts_total', 'COUNTER', ['actor_class']],
  ['troupe_actor_dead_letters_total', 'COUNTER', ['actor_class', 'reason']],
  ['troupe_actor_asks_total', 'COUNTER', ['actor_class']],
  ['troupe_actor_ask_seconds', 'HISTOGRAM', ['actor_class']],
  ['troupe_actor_ask_timeouts_total', 'COUNTER', ['actor_class']],
  ['troupe_cluster_members', 'GAUGE', ['status']],
  ['troupe_cluster_unreachable_members', 'GAUGE', []],
  ['troupe_link_sent_bytes_total', 'COUNTER', []],
  ['troupe_link_received_bytes_total', 'COUNTER', []],
  ['troupe_link_sent_frames_total', 'COUNTER', []],
  ['troupe_link_received_frames_total', 'COUNTER', []],
  ['troupe_node_event_loop_delay_p50_seconds', 'GAUGE', []],
  ['troupe_node_event_loop_delay_p99_seconds', 'GAUGE', []],
  ['troupe_node_event_loop_delay_max_seconds', 'GAUGE', []],
  ['troupe_node_event_loop_utilization_ratio', 'GAUGE', []],
  ['troupe_node_heap_used_bytes', 'GAUGE', []],
  ['troupe_node_heap_total_bytes', 'GAUGE', []],
  ['troupe_bus_published_events_total', 'COUNTER', ['topic']],
  ['troupe_bus_delivered_events_total', 'COUNTER', ['topic', 'consumer']],
  ['troupe_bus_redelivered_events_total', 'COUNTER', ['topic', 'consumer']],
  ['troupe_bus_dead_lettered_events_total', 'COUNTER', ['topic', 'consumer']],
  ['troupe_bus_dead_letter_events', 'GAUGE', ['topic', 'consumer']],
  ['troupe_bus_consumer_lag_events', 'GAUGE', ['topic', 'consumer']],
  ['troupe_bus_consumer_lag_seconds', 'GAUGE', ['topic', 'consumer']],
  ['troupe_journal_appends_total', 'COUNTER', ['journal']],
  ['troupe_journal_appended_events_total', 'COUNTER', ['journal']],
  ['troupe_journal_append_seconds', 'HISTOGRAM', ['journal']],
  ['troupe_journal_fsync_seconds', 'HISTOGRAM', ['journal']],
  ['troupe_journal_written_bytes_total', 'COUNTER', ['journal']],
  ['troupe_journal_replayed_events_total', 'COUNTER', ['journal']],
  ['troupe_journal_open_seconds', 'GAUGE', ['journal']],
  ['troupe_sagas_active', 'GAUGE', ['saga']],
  ['troupe_sagas_completed_total', 'COUNTER', ['saga']],
  ['troupe_sagas_compensated_total', 'COUNTER', ['saga']],
  ['troupe_sagas_compensation_failed_total', 'COUNTER', ['saga']],
  ['troupe_saga_duration_seconds', 'HISTOGRAM', ['saga', 'outcome']],
];

interface World { readonly sim: SimCluster; readonly system: ActorSystem; close(): Promise<void> }

/**
 * Node `a` of a two-node simulated cluster with metrics on (every handler timed), running: actors
 * that work, go async, crash, answer or ignore asks, a dead letter; a bus topic with a consumer
 * that fails once and one that dead-letters; a file journal; three sagas (completed, compensated,
 * compensation failed).
 */
async function world(): Promise<World> {
  const sim = await createSimCluster({ nodes: ['a', 'b'], nodeOptions: { metrics: { sampleEvery: 1 } } });
  await sim.runUntil(() => sim.node('a').cluster.members().filter((m) => m.status === 'up').length === 2, 10_000);
  const system = sim.node('a').system;
  const w = system.spawn(worker, 'w');
  for (let i = 0; i < 5; i++) w.tell({ type: 'work' });
  w.tell({ type: 'later' });
  w.tell({ type: 'crash' });
  assert.is(await w.ask<string>((replyTo) => ({ type: 'ping', replyTo })), 'pong');
  const muted = system.spawn(mute, 'mute');
  const timedOut = muted.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 100 }).catch((e: unknown) => e);
  await sim.advance(150);
  assert.ok(isTroupeError(await timedOut, 'ask-timeout'));
  const gone = system.spawn(worker, 'gone');
  system.stop(gone as ActorRef<never>);
  await sim.runUntil(() => system.lookup('/user/gone') === undefined, 1_000);
  gone.tell({ type: 'work' }); // dead letter: actor-stopped

  const bus = createEventBus(system);
  const orders = bus.topic<{ id: number }>('orders');
  let failedOnce = false;
  let billed = 0;
  orders.subscribe(async () => { if (!failedOnce) { failedOnce = true; throw new Error('once'); } billed++; }, { group: 'billing', backoff: { minMs: 10, maxMs: 10 } });
  orders.subscribe(() => { throw new Error('never'); }, { group: 'audit', maxAttempts: 1 });
  for (let i = 0; i < 3; i++) await orders.publish({ id: i });
  await sim.runUntil(() => billed === 3, 10_000);
  assert.is(billed, 3);

  const journal = await observeJournal(system, 'sagas', () => sim.journal('a')); // node a's journal on its simulated disk
  const fail = async (): Promise<string> => { throw new Error('declined'); };
  const ok = async (): Promise<string> => 'ok';
  const saga = (name: string, compensate: () => Promise<string>) => defineSaga<{ n: number }>({
    name, journal,
    steps: [{ name: 'reserve', action: ok, compensate, compensationRetry: { attempts: 2 } }, { name: 'charge', action: name === 'happy' ? ok : fail }],
  });
  const handles: SagaHandle[] = [
    startSaga(system, saga('happy', ok), { sagaId: 's1', input: { n: 1 } }),
    startSaga(system, saga('refunded', ok), { sagaId: 's2', input: { n: 2 } }),
    startSaga(system, saga('stuck', fail), { sagaId: 's3', input: { n: 3 } }),
  ];
  const ended = new Set<string>();
  for (const h of handles) void h.outcome.then((o) => ended.add(`${h.sagaId}:${o.status}`), () => ended.add(`${h.sagaId}:dead`));
  await sim.runUntil(() => ended.size === 3, 60_000);
  assert.equal([...ended].sort(), ['s1:completed', 's2:failed', 's3:compensation-failed']);
  await journal.readAll();
  return { sim, system, close: async () => { await bus.close(); await journal.close(); await sim.shutdown(); } };
}

const test = suite('metrics', undefined, { limitMs: 60_000 });

test('after a small workload /metrics carries every runtime family with its type and labels, read by a real Prometheus text parser', async () => {
  const w = await world();
  const { body, contentType } = await w.system.metrics!.render();
  assert.is(contentType, 'text/plain; version=0.0.4; charset=utf-8');
  const families = parseFamilies(body);
  for (const [name, type, labels] of FAMILIES) {
    const f = families.get(name);
    assert.ok(f !== undefined, `${name} is missing`);
    assert.is(f.type, type, name);
    assert.ok(f.help.length > 10, `${name} has help`);
    assert.ok(f.metrics.length > 0, `${name} has samples after the workload`);
    if (type !== 'HISTOGRAM') for (const s of f.metrics) assert.equal(Object.keys(s.labels ?? {}).sort(), [...labels].sort(), `${name} labels`);
  }
  const runtime = [...families.keys()].filter((n) => n.startsWith('troupe_'));
  assert.equal(runtime.sort(), FAMILIES.map(([n]) => n).sort(), 'no family beyond the catalogue');
  const v = (name: string, labels: Record<string, string> = {}) => sampleValue(body, name, labels);
  assert.is(v('troupe_actor_messages_processed_total', { actor_class: 'worker' }), 8, '5 work + later + crash + ping');
  assert.is(v('troupe_actor_processing_seconds_count', { actor_class: 'worker' }), 8, 'every message timed (sampleEvery 1)');
  assert.is(v('troupe_actor_restarts_total', { actor_class: 'worker' }), 1);
  assert.is(v('troupe_actors_alive', { actor_class: 'worker' }), 1, 'the stopped one is not alive');
  assert.is(v('troupe_actor_dead_letters_total', { actor_class: 'worker', reason: 'actor-stopped' }), 1);
  assert.is(v('troupe_actor_asks_total', { actor_class: 'worker' }), 1);
  assert.is(v('troupe_actor_ask_seconds_count', { actor_class: 'worker' }), 1);
  assert.is(v('troupe_actor_ask_timeouts_total', { actor_class: 'mute' }), 1);
  assert.is(v('troupe_cluster_members', { status: 'up' }), 2);
  assert.ok(v('troupe_link_sent_frames_total')! > 0 && v('troupe_link_received_bytes_total')! > 0, 'heartbeats went over the link');
  assert.is(v('troupe_bus_published_events_total', { topic: 'orders' }), 3);
  assert.is(v('troupe_bus_delivered_events_total', { topic: 'orders', consumer: 'billing' }), 4, 'three events, one delivered twice');
  assert.is(v('troupe_bus_redelivered_events_total', { topic: 'orders', consumer: 'billing' }), 1);
  assert.is(v('troupe_bus_dead_lettered_events_total', { topic: 'orders', consumer: 'audit' }), 3);
  assert.is(v('troupe_bus_dead_letter_events', { topic: 'orders', consumer: 'audit' }), 3, 'read from the backend');
  assert.is(v('troupe_bus_consumer_lag_events', { topic: 'orders', consumer: 'billing' }), 0);
  assert.is(v('troupe_sagas_completed_total', { saga: 'happy' }), 1);
  assert.is(v('troupe_sagas_compensated_total', { saga: 'refunded' }), 1);
  assert.is(v('troupe_sagas_compensation_failed_total', { saga: 'stuck' }), 1);
  assert.is(v('troupe_sagas_active', { saga: 'happy' }), 0);
  assert.is(v('troupe_saga_duration_seconds_count', { saga: 'refunded', outcome: 'failed' }), 1);
  assert.ok(v('troupe_journal_appends_total', { journal: 'sagas' })! >= 6, 'saga records were journaled');
  assert.ok(v('troupe_journal_written_bytes_total', { journal: 'sagas' })! > 0);
  assert.ok(v('troupe_journal_replayed_events_total', { journal: 'sagas' })! > 0);
  await w.close();
});

test('values move with the workload on virtual time: counts, mailbox depth and high-water, asks, dead letters by reason', async () => {
  const kit = createTestSystem({ metrics: { sampleEvery: 1, eventLoop: false } });
  const w = kit.spawn(worker, 'w');
  const read = async (name: string, labels: Record<string, string> = { actor_class: 'worker' }) => sampleValue((await kit.metrics!.render()).body, name, labels);
  assert.is(await read('troupe_actor_messages_processed_total'), 0);
  w.tell({ type: 'hold', ms: 500 });
  for (let i = 0; i < 40; i++) w.tell({ type: 'work' });
  await kit.runUntilIdle();
  assert.is(await read('troupe_actor_mailbox_messages'), 40, 'queued behind the held handler');
  assert.is(await read('troupe_actor_messages_processed_total'), 1);
  await kit.advance(500);
  assert.is(await read('troupe_actor_messages_processed_total'), 41);
  assert.is(await read('troupe_actor_mailbox_messages'), 0);
  assert.is(await read('troupe_actor_mailbox_high_water_messages'), 41);
  assert.is(await read('troupe_actor_processing_seconds_count'), 41);
  assert.is(await read('troupe_actor_processing_seconds_sum'), 0.5, 'the held handler took 500 virtual ms; the others none (virtual time stands still)');
  w.tell({ type: 'crash' });
  w.tell({ type: 'crash' });
  await kit.runUntilIdle();
  assert.is(await read('troupe_actor_restarts_total'), 2);
  kit.stop(w as ActorRef<never>);
  await kit.runUntilIdle();
  w.tell({ type: 'work' });
  assert.is(await read('troupe_actor_messages_processed_total'), 43, 'a stopped actor\'s count stays with its class');
  assert.is(await read('troupe_actor_restarts_total'), 2);
  assert.is(await read('troupe_actors_alive'), undefined, 'no live actor of the class: no alive series');
  assert.is(await read('troupe_actor_dead_letters_total', { actor_class: 'worker', reason: 'actor-stopped' }), 1);
  assert.is(await read('troupe_actor_asks_total', { actor_class: 'mute' }), 1);
  assert.is(await read('troupe_actor_ask_timeouts_total', { actor_class: 'mute' }), 1, 'the held handler\'s ask timed out');
  await kit.terminate();
});

test('cardinality is bounded: 1 000 more actors of a class add no series; labels are classes, never paths', async () => {
  const kit = createTestSystem({ metrics: { eventLoop: false } });
  for (let i = 0; i < 10; i++) kit.spawn(worker, `w${i}`).tell({ type: 'work' });
  await kit.runUntilIdle();
  const before = (await kit.metrics!.render()).body;
  for (let i = 10; i < 1_010; i++) kit.spawn(worker, `w${i}`).tell({ type: 'work' });
  await kit.runUntilIdle();
  const after = (await kit.metrics!.render()).body;
  const lines = (t: string) => t.split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).length;
  assert.is(lines(after), lines(before));
  assert.is(seriesCount(after, 'troupe_actor_messages_processed_total'), 1);
  assert.is(sampleValue(after, 'troupe_actors_alive', { actor_class: 'worker' }), 1_010);
  assert.not.match(after, /\/user\//, 'no actor path in any label');
  await kit.terminate();
});

test('business metrics: your counters, gauges and histograms appear on /metrics with the runtime\'s; clashes and bad names are refused', async () => {
  const kit = createTestSystem({ metrics: { eventLoop: false, defaultLabels: { service: 'shop' } } });
  const m = kit.metrics!;
  const placed = m.counter({ name: 'shop_orders_placed_total', help: 'Orders placed.', labelNames: ['channel'] });
  const failures = m.counter({ name: 'shop_payment_failures_total', help: 'Payments declined.' });
  const basket = m.histogram({ name: 'shop_basket_value_euros', help: 'Basket value.', buckets: [10, 100, 1_000] });
  const open = m.gauge({ name: 'shop_open_carts', help: 'Carts open now.' });
  placed.inc({ channel: 'web' }, 2);
  placed.inc({ channel: 'app' });
  failures.inc();
  basket.observe(42);
  open.set(7);
  const { body } = await m.render();
  const f = parseFamilies(body);
  assert.is(f.get('shop_orders_placed_total')?.type, 'COUNTER');
  assert.is(f.get('shop_basket_value_euros')?.type, 'HISTOGRAM');
  assert.is(sampleValue(body, 'shop_orders_placed_total', { channel: 'web', service: 'shop' }), 2);
  assert.is(sampleValue(body, 'shop_payment_failures_total', { service: 'shop' }), 1);
  assert.is(sampleValue(body, 'shop_basket_value_euros_bucket', { le: '100', service: 'shop' }), 1);
  assert.is(sampleValue(body, 'shop_open_carts', { service: 'shop' }), 7);
  assert.ok(f.has('troupe_actor_messages_processed_total'), 'the runtime\'s families are on the same registry');
  const clash = (() => { try { m.counter({ name: 'troupe_actor_restarts_total', help: 'x' }); } catch (e) { return e; } })();
  assert.ok(isTroupeError(clash, 'duplicate-name'), String(clash));
  const bad = (() => { try { m.counter({ name: 'orders placed', help: 'x' }); } catch (e) { return e; } })();
  assert.ok(isTroupeError(bad, 'invalid-argument'), String(bad));
  await kit.terminate();
});

test('OpenMetrics when the Accept header asks for it, text 0.0.4 otherwise, over HTTP; counters keep their names across formats', async () => {
  const system = createSystem({ name: 'web', metrics: { eventLoop: false }, log: { level: 'silent' } });
  const w = system.spawn(worker, 'w');
  w.tell({ type: 'work' });
  await w.ask<string>((replyTo) => ({ type: 'ping', replyTo }));
  const server = await serveMetrics(system.metrics!);
  try {
    const om = await fetch(server.url, { headers: { accept: 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5' } });
    assert.is(om.status, 200);
    assert.is(om.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const omText = await om.text();
    assert.ok(omText.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
    assert.match(omText, /# TYPE troupe_actor_messages_processed counter\n/);
    assert.match(omText, /\ntroupe_actor_messages_processed_total\{actor_class="worker"\} 2\n/);
    parseFamilies(omText);
    const text = await fetch(server.url);
    assert.is(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await text.text();
    assert.is(parseFamilies(body).get('troupe_actor_messages_processed_total')?.type, 'COUNTER', 'the name has its _total again after an OpenMetrics scrape');
    assert.is((await fetch(server.url, { method: 'POST' })).status, 405);
    assert.is((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
  } finally {
    await server.close();
    await system.terminate();
  }
});

test('without metrics: system.metrics is undefined and bad options are refused', async () => {
  const kit = createTestSystem();
  assert.is(kit.metrics, undefined);
  await kit.terminate();
  for (const metrics of [{ sampleEvery: 0 }, { sampleEvery: 1.5 }, 'yes']) {
    const e = (() => { try { createSystem({ metrics: metrics as never, log: { level: 'silent' } }); } catch (x) { return x; } })();
    assert.ok(isTroupeError(e, 'invalid-argument'), `${JSON.stringify(metrics)}: ${String(e)}`);
  }
});

test('the README lists every runtime metric family', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const missing = FAMILIES.map(([n]) => n).filter((n) => !readme.includes(`\`${n}\``));
  assert.equal(missing, []);
});

test.run();
