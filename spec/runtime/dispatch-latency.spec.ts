// On the REAL scheduler: busy actors and loops that await local asks must leave timers, intervals
// and sockets their turns. Assertions are about ordering and counts, never durations: each
// workload runs until a heartbeat-like interval has ticked enough times (or a 5 s cap says the
// interval starved), and what happened before the workload ended is checked.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createSystem, defineActor, isTroupeError, type ActorRef, type ActorSystem } from '../../runtime/index.ts';

/** Interval of the heartbeat-like Node timer, and how many ticks end a workload. */
const TICK_MS = 15;
const TICKS = 20; // ≈ 300 ms of workload when nothing starves
/** A workload that has not seen TICKS ticks by then was starving the event loop. */
const CAP_MS = 5_000;

/** What a workload observes while it runs; `snapshot()` freezes it when the workload ends. */
interface Observer {
  ticks: number;
  timerFired: boolean;
  askTimedOut: boolean;
  roundTrips: number;
  stop(): Promise<void>;
}

/** A Node interval, a 10 ms system timer, an ask with a 20 ms timeout to a silent actor, and socket pings. */
async function observe(system: ActorSystem): Promise<Observer> {
  const silent = system.spawn(defineActor<{ type: 'q'; replyTo: ActorRef<never> }, undefined>({ init: () => undefined, receive: () => undefined }), 'silent');
  const peers = new Set<Socket>();
  const server: Server = createServer((s) => {
    peers.add(s);
    s.on('error', () => {});
    s.on('data', (b) => s.write(b));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  client.on('error', () => {});
  const o: Observer = {
    ticks: 0,
    timerFired: false,
    askTimedOut: false,
    roundTrips: 0,
    stop: async () => {
      clearInterval(iv);
      client.destroy();
      for (const p of peers) p.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  client.on('data', () => { o.roundTrips++; client.write('p'); });
  client.write('p');
  const iv = setInterval(() => { o.ticks++; }, TICK_MS);
  system.scheduler.startTimer(10, () => { o.timerFired = true; });
  silent.ask((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 20 }).then(
    () => {},
    (e: unknown) => { o.askTimedOut = isTroupeError(e, 'ask-timeout'); },
  );
  return o;
}

function assertNotStarved(seen: { ticks: number; timerFired: boolean; askTimedOut: boolean; roundTrips: number }, what: string): void {
  assert.ok(seen.ticks >= TICKS, `${what}: the ${TICK_MS} ms interval ticked only ${seen.ticks} times before the ${CAP_MS} ms cap (starved)`);
  assert.ok(seen.timerFired, `${what}: the 10 ms timer had not fired when the workload ended`);
  assert.ok(seen.askTimedOut, `${what}: the 20 ms ask timeout had not fired when the workload ended`);
  assert.ok(seen.roundTrips >= 3, `${what}: only ${seen.roundTrips} loopback socket round trips completed during the workload`);
}

type Echo = { type: 'echo'; n: number; replyTo: ActorRef<number> };
const echo = defineActor<Echo, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, m.n); return undefined; } });

const test = suite('dispatch latency (real scheduler)');

test('a loop awaiting local asks lets timers, intervals, ask timeouts and sockets run', async () => {
  const system = createSystem({ name: 'lat-ask' });
  const ref = system.spawn(echo, 'echo');
  const o = await observe(system);
  const cap = system.clock.now() + CAP_MS;
  let asks = 0;
  while (o.ticks < TICKS && system.clock.now() < cap) {
    asks += (await ref.ask<number>((replyTo) => ({ type: 'echo', n: asks, replyTo }))) === asks ? 1 : 0;
  }
  const seen = { ...o };
  await o.stop();
  await system.terminate();
  assertNotStarved(seen, 'ask loop');
  assert.ok(asks > TICKS, `the loop itself made progress (${asks} asks)`);
});

test('a CPU-bound actor chain lets timers, intervals, ask timeouts and sockets run', async () => {
  const system = createSystem({ name: 'lat-cpu' });
  const o = await observe(system);
  const cap = system.clock.now() + CAP_MS;
  let hops = 0;
  let done!: (seen: Observer) => void;
  const finished = new Promise<Observer>((r) => { done = r; });
  type Hop = { type: 'hop'; to: ActorRef<Hop> };
  // Each hop burns ~0.2 ms of CPU, then passes the ball: one long chain of actor turns.
  const player = defineActor<Hop, undefined>({
    init: () => undefined,
    receive: (_s, m, ctx) => {
      const until = ctx.now() + 0.2;
      while (ctx.now() < until) { /* busy */ }
      hops++;
      if (o.ticks >= TICKS || ctx.now() >= cap) done({ ...o });
      else ctx.send(m.to, { type: 'hop', to: ctx.self });
      return undefined;
    },
  });
  const a = system.spawn(player, 'a');
  const b = system.spawn(player, 'b');
  a.tell({ type: 'hop', to: b });
  const seen = await finished;
  await o.stop();
  await system.terminate();
  assertNotStarved(seen, 'CPU-bound chain');
  assert.ok(hops > TICKS, `the chain itself made progress (${hops} hops)`);
});

test('a fast producer awaiting asks and a fire-and-forget consumer: the consumer\'s timer keeps firing', async () => {
  const system = createSystem({ name: 'lat-amo' });
  const cap = system.clock.now() + CAP_MS;
  let stop = false;
  let produced = 0;
  let flushes = 0;
  let handled = 0;
  type Store = { type: 'append'; n: number; replyTo: ActorRef<number> };
  const store = system.spawn(defineActor<Store, { last: number }>({
    init: () => ({ last: 0 }),
    receive: (s, m, ctx) => { ctx.send(m.replyTo, m.n); return { last: m.n }; },
  }), 'store');
  // At-most-once delivery: the consumer buffers what it is sent and handles it on its own timer.
  type Consumer = { type: 'event'; n: number } | { type: 'flush' };
  const consumer = system.spawn(defineActor<Consumer, { buffer: number[] }>({
    init: (ctx) => { ctx.timers.startPeriodic('flush', { type: 'flush' }, 10); return { buffer: [] }; },
    receive: (s, m) => {
      if (m.type === 'event') { s.buffer.push(m.n); return s; }
      flushes++;
      handled += s.buffer.length;
      if (flushes >= TICKS) stop = true;
      return { buffer: [] };
    },
  }), 'consumer');
  let done!: (r: { flushes: number; handled: number; produced: number }) => void;
  const finished = new Promise<{ flushes: number; handled: number; produced: number }>((r) => { done = r; });
  type Producer = { type: 'run' };
  const producer = system.spawn(defineActor<Producer, undefined>({
    init: () => undefined,
    receive: async (_s, _m, ctx) => {
      while (!stop && ctx.now() < cap) {
        const n = await ctx.ask<number, Store>(store, (replyTo) => ({ type: 'append', n: produced + 1, replyTo }));
        produced = n;
        ctx.send(consumer, { type: 'event', n });
      }
      done({ flushes, handled, produced });
      return undefined;
    },
  }), 'producer');
  producer.tell({ type: 'run' });
  const seen = await finished;
  await system.terminate();
  assert.ok(seen.flushes >= TICKS, `the consumer's 10 ms timer fired only ${seen.flushes} times while the producer ran (starved until the ${CAP_MS} ms cap)`);
  assert.ok(seen.handled > 0, 'the consumer handled events while the producer was still producing');
  assert.ok(seen.produced > seen.flushes, `the producer made progress (${seen.produced} events)`);
});

test.run();
