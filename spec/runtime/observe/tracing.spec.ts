// Tracing inside one system on virtual time: which span each delivery path makes and where it
// hangs (tell, ask and reply, timers, stash, dead letters, failures), the context handlers see,
// the OpenTelemetry API and SDK export, and that a seeded run yields the same spans every time.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { SpanKind, trace as otelTrace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  createRouter, createSystem, defineActor, isTroupeError, sampleAlways, type ActorRef, type CollectedSpan, type TraceIds,
} from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';

const test = suite('tracing');

const spansOf = (kit: TestSystem): CollectedSpan[] => kit.tracing!.collector!.spans();
const byName = (spans: readonly CollectedSpan[], name: string): CollectedSpan[] => spans.filter((s) => s.name === name);
const one = (spans: readonly CollectedSpan[], name: string): CollectedSpan => {
  const found = byName(spans, name);
  assert.is(found.length, 1, `one span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
};

type Relay = { type: 'relay'; to: ActorRef<Relay>[] } | { type: 'get'; replyTo: ActorRef<number> };
const relay = defineActor<Relay, undefined>({
  name: 'relay',
  init: () => undefined,
  receive: (_s, m, ctx) => {
    if (m.type === 'get') { m.replyTo.tell(7); return; }
    if (m.to.length > 0) ctx.send(m.to[0], { type: 'relay', to: m.to.slice(1) });
  },
});

test('off by default: no tracing object, ctx.trace undefined, messages arrive as sent', async () => {
  const kit = createTestSystem();
  assert.is(kit.tracing, undefined);
  const seen: unknown[] = [];
  const ref = kit.spawn(defineActor<{ type: 'x' }, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { seen.push(m, ctx.trace); } }));
  ref.tell({ type: 'x' });
  await kit.runUntilIdle();
  assert.equal(seen, [{ type: 'x' }, undefined]);
  await kit.terminate();
  const real = createSystem({ tracing: false });
  assert.is(real.tracing, undefined);
  await real.terminate();
});

test('a tell chain: each handler runs in a consumer span under the span that sent its message', async () => {
  const kit = createTestSystem({ tracing: true, node: 'n1' });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => kit.spawn(relay, n));
  kit.tracing!.inSpan('request', () => a.tell({ type: 'relay', to: [b, c] }), { kind: 'server' });
  await kit.runUntilIdle();
  const spans = spansOf(kit);
  const root = one(spans, 'request');
  const hops = byName(spans, 'process relay');
  assert.equal(hops.map((s) => s.attributes['troupe.actor.path']), ['/user/a', '/user/b', '/user/c']);
  assert.is(root.parentSpanId, undefined);
  assert.is(root.kind, 'server');
  assert.equal(hops.map((s) => s.parentSpanId), [root.spanId, hops[0].spanId, hops[1].spanId]);
  assert.ok(spans.every((s) => s.traceId === root.traceId));
  assert.equal(hops[1].attributes, {
    'messaging.system': 'troupe', 'troupe.node': 'n1', 'messaging.operation.type': 'process', 'messaging.operation.name': 'process',
    'messaging.destination.name': '/user/b', 'troupe.actor.path': '/user/b', 'troupe.message.type': 'relay', 'troupe.mailbox.wait_ms': 0,
  });
  assert.ok(hops.every((s) => s.kind === 'consumer' && s.status === 'unset'));
  await kit.terminate();
});

test('an ask: an ask client span from request to reply, the handler under it; a timeout fails it', async () => {
  const kit = createTestSystem({ tracing: true });
  const server = kit.spawn(relay, 'server');
  const silent = kit.spawn(defineActor<{ type: 'get'; replyTo: ActorRef<number> }, undefined>({ init: () => undefined, receive: () => undefined }), 'silent');
  let answer: number | undefined;
  let failure: unknown;
  const done = kit.tracing!.inSpan('request', async () => {
    answer = await server.ask<number>((replyTo) => ({ type: 'get', replyTo }));
    await silent.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 50 }).catch((e: unknown) => { failure = e; });
  });
  await kit.runUntilIdle();
  await kit.advance(60);
  await done;
  assert.is(answer, 7);
  assert.ok(isTroupeError(failure, 'ask-timeout'));
  const spans = spansOf(kit);
  const root = one(spans, 'request');
  const [asked, timedOut] = byName(spans, 'ask get');
  assert.equal([asked.kind, asked.parentSpanId, asked.status, asked.attributes['messaging.destination.name']], ['client', root.spanId, 'unset', '/user/server']);
  const handled = byName(spans, 'process get');
  assert.equal(handled.map((s) => s.parentSpanId), [asked.spanId, timedOut.spanId]);
  assert.equal([timedOut.status, timedOut.attributes['error.type'], timedOut.durationMs], ['error', 'ask-timeout', 50]);
  assert.match(timedOut.statusMessage!, /No reply from \/user\/silent within 50 ms/);
  assert.ok(root.endMs >= timedOut.endMs, 'the root span lasted as long as its async body');
  await kit.terminate();
});

test('a failing handler marks its span error; an async handler’s span lasts until it settles', async () => {
  const kit = createTestSystem({ tracing: true });
  const worker = kit.spawn(defineActor<{ type: 'boom' } | { type: 'slow' }, undefined>({
    init: () => undefined,
    receive: async (_s, m, ctx) => {
      if (m.type === 'boom') throw new TypeError('bad order');
      await new Promise<void>((r) => ctx.system.scheduler.startTimer(25, r));
    },
  }), 'worker');
  kit.tracing!.inSpan('request', () => { worker.tell({ type: 'slow' }); worker.tell({ type: 'boom' }); });
  await kit.runUntilIdle();
  await kit.advance(30);
  await kit.runUntilIdle();
  const slow = one(spansOf(kit), 'process slow');
  const boom = one(spansOf(kit), 'process boom');
  assert.equal([slow.status, slow.durationMs], ['unset', 25]);
  assert.equal([boom.status, boom.statusMessage, boom.attributes['error.type']], ['error', 'bad order', 'TypeError']);
  assert.equal(boom.events.map((e) => [e.name, e.attributes?.['exception.type'], e.attributes?.['exception.message']]), [['exception', 'TypeError', 'bad order']]);
  assert.is(boom.attributes['troupe.mailbox.wait_ms'], 25, 'it waited in the mailbox while the async handler ran');
  await kit.terminate();
});

type Tick = { type: 'start'; periodic: boolean } | { type: 'tick'; n: number };
const ticked: string[] = [];
const ticker = defineActor<Tick, number>({
  init: () => 0,
  receive: (count, m, ctx) => {
    if (m.type === 'tick') ticked.push(`${ctx.path}:${m.n}`);
    if (m.type === 'start') {
      if (m.periodic) ctx.timers.startPeriodic('p', { type: 'tick', n: 0 }, 10);
      else ctx.timers.startSingle('s', { type: 'tick', n: 1 }, 10);
      return count;
    }
    if (m.n > 0 && m.n < 3) ctx.timers.startSingle('s', { type: 'tick', n: m.n + 1 }, 10);
    if (count >= 4) ctx.timers.cancelAll();
    return count + 1;
  },
});

test('timers: a single timer continues the context that started it, once; periodic timers start no trace', async () => {
  const kit = createTestSystem({ tracing: true });
  const single = kit.spawn(ticker, 'single');
  const periodic = kit.spawn(ticker, 'periodic');
  ticked.length = 0;
  kit.tracing!.inSpan('request', () => { single.tell({ type: 'start', periodic: false }); periodic.tell({ type: 'start', periodic: true }); });
  await kit.advance(100);
  assert.equal(ticked.filter((t) => t.startsWith('/user/single')), ['/user/single:1', '/user/single:2', '/user/single:3']);
  assert.ok(ticked.filter((t) => t.startsWith('/user/periodic')).length >= 4);
  const spans = spansOf(kit);
  const start = byName(spans, 'process start').find((s) => s.attributes['troupe.actor.path'] === '/user/single')!;
  const ticks = byName(spans, 'process tick');
  assert.equal(ticks.map((s) => [s.attributes['troupe.actor.path'], s.parentSpanId, s.startMs]), [['/user/single', start.spanId, 10]],
    'the first tick continues the request; the tick it schedules does not (no endless chains); periodic ticks none');
  assert.is(ticks[0].attributes['troupe.mailbox.wait_ms'], 0, 'the wait counts from when the timer fired');
  await kit.terminate();
});

type Gate = { type: 'open' } | { type: 'work'; id: number };
const gate = defineActor<Gate, boolean>({
  init: () => false,
  receive: (open, m, ctx) => {
    if (m.type === 'open') { ctx.unstashAll(); return true; }
    if (!open) ctx.stash(m);
    return open;
  },
});

test('stash: an unstashed message is handled in a span under the turn that stashed it', async () => {
  const kit = createTestSystem({ tracing: true });
  const g = kit.spawn(gate, 'gate');
  kit.tracing!.inSpan('first', () => g.tell({ type: 'work', id: 1 }));
  await kit.advance(5);
  kit.tracing!.inSpan('second', () => g.tell({ type: 'open' }));
  await kit.runUntilIdle();
  const works = byName(spansOf(kit), 'process work');
  assert.is(works.length, 2);
  assert.is(works[1].parentSpanId, works[0].spanId, 'handled again under the turn that stashed it');
  assert.is(works[1].traceId, one(spansOf(kit), 'first').traceId);
  assert.is(works[1].attributes['troupe.mailbox.wait_ms'], 5);
  await kit.terminate();
});

test('a traced message that becomes a dead letter leaves a failed span saying why; the event shows the message as sent', async () => {
  const kit = createTestSystem({ tracing: true });
  const ref = kit.spawn(relay, 'gone');
  kit.stop(ref as ActorRef<never>);
  await kit.runUntilIdle();
  const letters: unknown[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') letters.push(e.message); });
  kit.tracing!.inSpan('request', () => ref.tell({ type: 'relay', to: [] }));
  const dead = one(spansOf(kit), 'dead-letter relay');
  assert.equal([dead.status, dead.statusMessage, dead.attributes['troupe.dead_letter.reason'], dead.parentSpanId],
    ['error', 'dead letter: actor-stopped', 'actor-stopped', one(spansOf(kit), 'request').spanId]);
  assert.equal(letters, [{ type: 'relay', to: [] }]);
  await kit.terminate();
});

test('ctx.trace: the ids of the message’s span, before and after an await; undefined for an untraced message', async () => {
  const kit = createTestSystem({ tracing: true });
  const seen: { phase: string; ids: TraceIds | undefined }[] = [];
  const ref = kit.spawn(defineActor<{ type: 'go' }, undefined>({
    init: () => undefined,
    receive: async (_s, _m, ctx) => {
      seen.push({ phase: 'sync', ids: ctx.trace });
      await Promise.resolve();
      seen.push({ phase: 'async', ids: ctx.trace });
    },
  }), 'ids');
  kit.tracing!.inSpan('request', () => ref.tell({ type: 'go' }));
  await kit.runUntilIdle();
  ref.tell({ type: 'go' });
  await kit.runUntilIdle();
  const span = one(spansOf(kit), 'process go');
  assert.equal(seen.map((s) => [s.phase, s.ids?.traceId, s.ids?.spanId]), [
    ['sync', span.traceId, span.spanId], ['async', span.traceId, span.spanId], ['sync', undefined, undefined], ['async', undefined, undefined],
  ]);
  assert.is(kit.tracing!.current(), undefined, 'outside any turn or span');
  await kit.terminate();
});

test('after an await: ctx sends continue the message’s span in any handler; plain ref.tell does in async functions', async () => {
  const kit = createTestSystem({ tracing: true });
  const sink = kit.spawn(relay, 'sink');
  type Go = { type: 'go' };
  const later = (ctx: { system: { scheduler: { startTimer(ms: number, fn: () => void): unknown } } }) => new Promise<void>((r) => { ctx.system.scheduler.startTimer(1, r); });
  const viaAsync = kit.spawn(defineActor<Go, undefined>({
    init: () => undefined,
    receive: async (_s, _m, ctx) => { await later(ctx); sink.tell({ type: 'relay', to: [] }); ctx.send(sink, { type: 'relay', to: [] }); },
  }), 'async');
  const viaPromise = kit.spawn(defineActor<Go | Relay, undefined>({
    init: () => undefined,
    receive: (_s, m, ctx) => m.type !== 'go' ? undefined : later(ctx).then(() => {
      ctx.send(sink, { type: 'relay', to: [] });
      ctx.timers.startSingle('t', { type: 'relay', to: [] }, 1);
      return ctx.ask<number, Relay>(sink, (replyTo) => ({ type: 'get', replyTo })).then(() => undefined);
    }),
  }), 'promise');
  kit.tracing!.inSpan('a', () => viaAsync.tell({ type: 'go' }));
  kit.tracing!.inSpan('p', () => viaPromise.tell({ type: 'go' }));
  await kit.advance(10);
  const spans = spansOf(kit);
  const goOf = (path: string) => spans.find((x) => x.name === 'process go' && x.attributes['troupe.actor.path'] === path)!;
  const asyncGo = goOf('/user/async');
  const promiseGo = goOf('/user/promise');
  const relayed = (path: string, parent: string) => byName(spans, 'process relay').filter((x) => x.parentSpanId === parent && x.attributes['troupe.actor.path'] === path).length;
  assert.is(relayed('/user/sink', asyncGo.spanId), 2, 'ref.tell and ctx.send after an await in an async handler');
  assert.is(relayed('/user/sink', promiseGo.spanId), 1, 'ctx.send after an await in a plain handler');
  assert.is(one(spans, 'ask get').parentSpanId, promiseGo.spanId, 'ctx.ask too');
  assert.is(relayed('/user/promise', promiseGo.spanId), 1, 'and a ctx timer');
  await kit.terminate();
});

async function scenario(seed: number): Promise<CollectedSpan[]> {
  const kit = createTestSystem({ seed, tracing: { sampler: sampleAlways() } });
  const [a, b] = ['a', 'b'].map((n) => kit.spawn(relay, n));
  const t = kit.spawn(ticker, 't');
  for (let i = 0; i < 3; i++) {
    await kit.tracing!.inSpan(`request ${i}`, async () => {
      a.tell({ type: 'relay', to: [b] });
      t.tell({ type: 'start', periodic: false });
      await b.ask<number>((replyTo) => ({ type: 'get', replyTo }));
    });
    await kit.advance(7);
  }
  await kit.advance(50);
  const spans = spansOf(kit);
  await kit.terminate();
  return spans;
}

test('determinism: the same seed collects the same spans (ids, times, parents); another seed other ids', async () => {
  const first = await scenario(42);
  const again = await scenario(42);
  assert.ok(first.length >= 15, `${first.length} spans`);
  assert.equal(again, first);
  const other = await scenario(43);
  assert.equal(other.map((s) => [s.name, s.startMs, s.endMs]), first.map((s) => [s.name, s.startMs, s.endMs]));
  assert.not.equal(other.map((s) => s.spanId), first.map((s) => s.spanId));
});

test('tracing draws from a stream of its own: turning it on does not change the ids the system hands out', async () => {
  const run = async (tracing: boolean): Promise<string[]> => {
    const kit = createTestSystem({ seed: 9, tracing });
    const a = kit.spawn(relay, 'a');
    if (kit.tracing) kit.tracing.inSpan('r', () => a.tell({ type: 'relay', to: [] }));
    else a.tell({ type: 'relay', to: [] });
    await kit.runUntilIdle();
    const ids = [kit.ids(), kit.ids(), String(kit.random.next())];
    await kit.terminate();
    return ids;
  };
  assert.equal(await run(true), await run(false));
});

test('the OpenTelemetry tracer: its spans join the active trace, startActiveSpan makes one active', async () => {
  const kit = createTestSystem({ tracing: true });
  const a = kit.spawn(defineActor<{ type: 'q' } | undefined, undefined>({
    init: () => undefined,
    receive: (_s, m, ctx) => {
      if (m === undefined) return;
      const tracer = ctx.system.tracing!.tracer;
      tracer.startSpan('db query', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }).end();
      tracer.startActiveSpan('compute', (span) => { ctx.send(ctx.self, undefined); span.end(); });
    },
  }), 'q');
  kit.tracing!.inSpan('request', () => a.tell({ type: 'q' }));
  await kit.runUntilIdle();
  const spans = spansOf(kit);
  const handled = one(spans, 'process q');
  const db = one(spans, 'db query');
  const compute = one(spans, 'compute');
  assert.equal([db.parentSpanId, db.kind, db.attributes['db.system']], [handled.spanId, 'client', 'postgresql']);
  assert.is(compute.parentSpanId, handled.spanId);
  assert.is(one(spans, 'process (untyped)').parentSpanId, compute.spanId, 'sent while compute was active');
  const root = kit.tracing!.tracer.startSpan('outside');
  root.end();
  assert.is(one(spansOf(kit), 'outside').parentSpanId, undefined, 'no active context: a new trace');
  await kit.terminate();
});

test('a user’s OpenTelemetry SDK receives every span with its own ids, parents intact', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // the SDK's exporter does real async work (a timer) outside the simulation: allowed here
  const kit = createTestSystem({ tracing: { tracerProvider: provider }, escapes: 'allow' });
  const [a, b] = ['a', 'b'].map((n) => kit.spawn(relay, n));
  kit.tracing!.inSpan('request', () => a.tell({ type: 'relay', to: [b] }));
  await kit.runUntilIdle();
  const exported = exporter.getFinishedSpans();
  assert.equal(exported.map((s) => s.name), ['request', 'process relay', 'process relay']);
  const collected = spansOf(kit);
  assert.equal(collected.map((s) => s.spanId), exported.map((s) => s.spanContext().spanId), 'the collector holds the SDK’s ids');
  assert.is(exported[1].parentSpanContext?.spanId, exported[0].spanContext().spanId);
  assert.is(exported[2].parentSpanContext?.spanId, exported[1].spanContext().spanId);
  assert.equal(exported.map((s) => s.kind), [SpanKind.INTERNAL, SpanKind.CONSUMER, SpanKind.CONSUMER]);
  assert.is(exported[1].attributes['troupe.actor.path'], '/user/a');
  assert.ok(otelTrace.getTracerProvider() !== provider, 'nothing registered globally');
  await provider.shutdown();
  await kit.terminate();
});

test('traced messages still order by content in a priority mailbox and route by content through a router', async () => {
  const kit = createTestSystem({ tracing: true });
  const order: string[] = [];
  type P = { type: 'p'; urgent: boolean; id: string; replyTo?: ActorRef<string> };
  const worker = defineActor<P, undefined>({
    init: () => undefined,
    receive: (_s, m, ctx) => { order.push(m.id); if (m.replyTo) ctx.send(m.replyTo, `${ctx.path}:${m.id}`); },
    mailbox: { kind: 'priority', priorityOf: (m) => (m.urgent ? 0 : 1) },
  });
  const w = kit.spawn(worker, 'w');
  kit.tracing!.inSpan('request', () => { for (const [id, urgent] of [['a', false], ['b', true], ['c', false], ['d', true]] as const) w.tell({ type: 'p', urgent, id }); });
  await kit.runUntilIdle();
  assert.equal(order, ['b', 'd', 'a', 'c']);
  const routees = ['r1', 'r2', 'r3'].map((n) => kit.spawn(worker, n));
  const router = createRouter<P>({ system: kit, routees, strategy: { kind: 'consistent-hash', keyOf: (m) => m.id } });
  const untracedAnswer = await router.ask<string>((replyTo) => ({ type: 'p', urgent: false, id: 'key-7', replyTo }));
  const tracedAnswer = await kit.tracing!.inSpan('request', () => router.ask<string>((replyTo) => ({ type: 'p', urgent: false, id: 'key-7', replyTo })));
  assert.is(tracedAnswer, untracedAnswer, 'the same routee for the same key, traced or not');
  await kit.terminate();
});

test('bad tracing options fail with invalid-argument', () => {
  for (const tracing of [{ collector: {} }, { tracerProvider: 5 }, { epochMs: Number.NaN }, 7] as unknown[]) {
    try { createTestSystem({ tracing: tracing as never }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument'), String(e)); }
  }
});

test.run();
