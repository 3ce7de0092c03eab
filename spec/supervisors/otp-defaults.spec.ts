// Every supervision default written out in one place, next to OTP's (and Pekko's) where Troupe's differs,
// plus the backoff's jitter bounds as a property.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { child, defineActor, defineSupervisor, definePool } from '../../runtime/index.ts';
import { DEFAULT_SUPERVISION } from '../../supervisors/strategy.ts';
import { DEFAULT_INTENSITY } from '../../supervisors/restart-window.ts';
import { backoffDelay, DEFAULT_BACKOFF_STASH } from '../../supervisors/backoff.ts';
import { resolveSpawnOptions, DEFAULT_SHUTDOWN_MS } from '../../runtime/spawn-options.ts';

const test = suite('supervision defaults');
const worker = defineActor<never, undefined>({ init: () => undefined, receive: () => undefined });

test('supervisor flags: one-for-one, restart decider, intensity 3 in 5 000 ms (OTP: 1 in 5 s), no backoff, no bulkhead, autoShutdown never', () => {
  assert.is(DEFAULT_SUPERVISION.strategy, 'one-for-one');
  assert.is(DEFAULT_SUPERVISION.decider(new Error('x')), 'restart');
  assert.equal(DEFAULT_INTENSITY, { maxRestarts: 3, withinMs: 5_000 });
  assert.equal(DEFAULT_SUPERVISION.intensity, DEFAULT_INTENSITY);
  assert.is(DEFAULT_SUPERVISION.backoff, undefined);
  assert.is(DEFAULT_SUPERVISION.bulkhead, undefined);
  assert.is(DEFAULT_SUPERVISION.autoShutdown, 'never');
  assert.is(defineSupervisor({ children: [] }).supervision.autoShutdown, 'never');
});

test('child specs (OTP): restart permanent, shutdown 5 000 ms for a worker and infinity for a supervisor, not significant', () => {
  assert.is(DEFAULT_SHUTDOWN_MS, 5_000);
  const w = child('w', worker);
  assert.is(w.options.restart, 'permanent');
  assert.is(resolveSpawnOptions(w.options, 'permanent', 'w', false, true).shutdownMs, 5_000);
  assert.is(resolveSpawnOptions(w.options, 'permanent', 'w', false, true).significant, false);
  const s = defineSupervisor({ children: [] });
  assert.is(s.type, 'supervisor');
  assert.is(definePool({ child: () => worker }).type, 'supervisor');
  assert.is(worker.type, 'worker');
  assert.is(resolveSpawnOptions(child('s', s).options, 'permanent', 's', true, true).shutdownMs, Infinity);
});

test("ctx.spawn / system.spawn (Akka's style): restart transient, the child forgotten when it ends; shutdown as above", () => {
  const o = resolveSpawnOptions(undefined, 'transient', 'x');
  assert.equal({ restart: o.restart, shutdownMs: o.shutdownMs, keep: o.keep, significant: o.significant }, { restart: 'transient', shutdownMs: 5_000, keep: false, significant: false });
  assert.is(resolveSpawnOptions(undefined, 'transient', 'x', true).shutdownMs, Infinity);
  assert.is(resolveSpawnOptions({ shutdown: 'brutal-kill' }, 'transient', 'x').shutdownMs, 0);
  assert.is(resolveSpawnOptions({ shutdown: 'infinity' }, 'transient', 'x').shutdownMs, Infinity);
});

test('backoff (Pekko): factor 2, jitter 0.2 upward only, reset after minMs, stash capacity 1 000', () => {
  assert.is(DEFAULT_BACKOFF_STASH, 1_000);
  assert.is(backoffDelay({ minMs: 100, maxMs: 10_000 }, 1, 0), 100);
  assert.is(backoffDelay({ minMs: 100, maxMs: 10_000 }, 3, 0), 400);
  assert.is(backoffDelay({ minMs: 100, maxMs: 10_000 }, 1, 0.999_999), 120);
});

test('property: a backoff delay is never below minMs nor below its base, and at most (1 + jitter) × min(maxMs, base)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 1, max: 4, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    (minMs, extra, factor, jitter, attempt, draw) => {
      const b = { minMs, maxMs: minMs + extra, factor, jitter };
      const base = Math.min(b.maxMs, minMs * Math.pow(factor, attempt - 1));
      const d = backoffDelay(b, attempt, draw);
      return d >= Math.round(base) - 0.5 && d >= minMs - 0.5 && d <= base * (1 + jitter) + 0.5;
    },
  ), { numRuns: 2_000 });
});

test.run();
