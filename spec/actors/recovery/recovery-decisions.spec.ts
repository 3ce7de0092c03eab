// The pure recovery rules: failure kinds from health, every verdict of decide (skip, wait,
// escalate, start) with its reason, ejection cap, backoff, the ledger, and policy validation.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isTroupeError, type TroupeError } from '../../../runtime/index.ts';
import type { InstanceHealth } from '../../../actors/probes/index.ts';
import {
  backoffMs, begin, cleared, decide, ejectedNow, EMPTY_LEDGER, failureKindOf, finish, holdsSlot, mayEject, type Failure, type Permit,
} from '../../../actors/recovery/internal/recovery-decisions.ts';
import { DEFAULT_RECOVERY_POLICY as P, resolveRecoveryPolicy } from '../../../actors/recovery/recovery-policy.ts';

const test = suite('recovery decisions');

const h = (state: InstanceHealth['state'], live: boolean, ready: boolean, reasons: string[] = []): InstanceHealth => ({ state, live, ready, started: true, reasons, sinceMs: 0 });
const G: Permit = { state: 'granted' };
const f = (o: Partial<Failure> = {}): Failure => ({ service: 's', instance: 'i', kind: 'hung', detectedAtMs: 0, reasons: ['liveness: timeout'], instances: 4, ejected: 0, ...o });

test('failure kinds from health: node suspect first, then not live (hung), crash loop, not ready, degraded; healthy and starting are none', () => {
  assert.is(failureKindOf(h('healthy', true, true), true), 'node-suspect');
  assert.is(failureKindOf(h('healthy', true, true), false), null);
  assert.is(failureKindOf(h('starting', true, false), false), null);
  assert.is(failureKindOf(h('unhealthy', false, false), false), 'hung');
  assert.is(failureKindOf(h('unhealthy', true, false, ['crash loop: 5 restarts in the signal window > 3']), false), 'crash-loop');
  assert.is(failureKindOf(h('unhealthy', true, false, ['readiness: db down']), false), 'not-ready');
  assert.is(failureKindOf(h('degraded', true, true, ['p99 900 ms']), false), 'degraded');
});

test('decide: start with the kind, reasons, action and attempt in its reason', () => {
  assert.equal(decide(EMPTY_LEDGER, f(), P, 0, G), { verdict: 'start', action: 'restart', reason: 'hung: liveness: timeout → restart (attempt 1)' });
  assert.equal(decide(EMPTY_LEDGER, f({ reasons: [] }), P, 0, G).reason, 'hung: no reason given → restart (attempt 1)');
});

test('decide: an instance already recovering is skipped until its slot expires; action none is skipped', () => {
  const l = begin(EMPTY_LEDGER, f(), 'restart', 0, P, 30_000);
  assert.equal(decide(l, f(), P, 10, G), { verdict: 'skip', action: 'restart', reason: 'i is already recovering (restart since 0 ms)' });
  assert.is(decide(l, f(), P, 30_000, G).reason, 'hung: liveness: timeout → restart (attempt 2)', 'expired: no longer skipped');
  const none = resolveRecoveryPolicy({ actions: { degraded: 'none' } }, 't');
  assert.equal(decide(EMPTY_LEDGER, f({ kind: 'degraded' }), none, 0, G), { verdict: 'skip', action: 'none', reason: 'the policy of s takes no action on degraded' });
});

test('decide: ejection beyond the max fraction is skipped; the last routed instance is never ejected', () => {
  assert.is(decide(EMPTY_LEDGER, f({ kind: 'degraded', instances: 4, ejected: 1 }), P, 0, G).verdict, 'start');
  const over = decide(EMPTY_LEDGER, f({ kind: 'not-ready', instances: 4, ejected: 2 }), P, 0, G);
  assert.equal([over.verdict, over.action], ['skip', 'reroute']);
  assert.match(over.reason, /would eject 3 of 4 instances of s, over the max ejected fraction 0.5/);
  assert.not.ok(mayEject(1, 0, 0.99), 'a single instance is never ejected');
  assert.ok(mayEject(3, 1, 0.99));
  assert.not.ok(mayEject(3, 2, 0.99));
  fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (n, e, frac) => {
    if (mayEject(n, e, frac)) assert.ok(n - e - 1 >= 1 && e + 1 <= n * frac, 'never empties, never over the fraction');
  }));
});

test('decide: ejections ordered since a failure was reported count against the cap (reports race the decisions); they end with the break or when the instance is healthy again', () => {
  const policy = { ...P, maxEjectedFraction: 0.5, cooldownMs: 0, breakMs: 2_000 };
  // two instances of s degrade at once: both reports say 0 ejected
  const a = f({ kind: 'degraded', instance: 'a', instances: 2, ejected: 0 });
  const b = f({ kind: 'degraded', instance: 'b', instances: 2, ejected: 0 });
  assert.is(decide(EMPTY_LEDGER, a, policy, 0, G).verdict, 'start');
  const l = begin(EMPTY_LEDGER, a, 'circuit-break', 0, policy, 30_000);
  const second = decide(l, b, policy, 10, G);
  assert.is(second.verdict, 'skip', 'b would empty the service though its report counted none ejected');
  assert.match(second.reason, /would eject 2 of 2 instances of s/);
  assert.is(ejectedNow(l, a, 10), 0, 'an instance does not count its own ejection');
  assert.is(ejectedNow(l, f({ service: 'other', instance: 'x' }), 10), 0, 'nor another service\'s');
  assert.is(decide(l, b, policy, 2_000, G).verdict, 'start', 'the break is over: a is routed again');
  const rerouted = begin(EMPTY_LEDGER, f({ kind: 'not-ready', instance: 'a', instances: 2 }), 'reroute', 0, policy, 30_000);
  assert.is(decide(rerouted, f({ kind: 'not-ready', instance: 'b', instances: 2 }), policy, 1e9, G).verdict, 'skip', 'a reroute lasts until the instance is ready');
  const back = cleared(rerouted, 'a');
  assert.is(decide(back, f({ kind: 'not-ready', instance: 'b', instances: 2 }), policy, 10, G).verdict, 'start');
  assert.is(cleared(back, 'a'), back, 'clearing an instance not ejected changes nothing');
  assert.is(begin(EMPTY_LEDGER, a, 'restart', 0, policy, 30_000).ejections, EMPTY_LEDGER.ejections, 'restart ejects nothing');
});

test('decide: backoff per instance, then cooldown per service, make it wait with retryAtMs', () => {
  const l = finish(begin(EMPTY_LEDGER, f(), 'restart', 0, P, 30_000), 'i');
  const second = decide(l, f(), P, 500, G);
  assert.equal(second, { verdict: 'wait', action: 'restart', retryAtMs: 1_000, reason: 'attempt 2 on i backs off 1000 ms' });
  const cool = decide(l, f(), P, 1_000, G);
  assert.equal(cool, { verdict: 'wait', action: 'restart', retryAtMs: 5_000, reason: 's is cooling down for 5000 ms after its last recovery' });
  assert.equal(decide(l, f({ instance: 'other' }), P, 100, G).verdict, 'wait', 'cooldown is per service');
  assert.equal(decide(l, f({ service: 't', instance: 'other' }), P, 100, G).verdict, 'start', 'another service is not cooling down');
  assert.equal(decide(l, f(), P, 5_000, G), { verdict: 'start', action: 'restart', reason: 'hung: liveness: timeout → restart (attempt 2)' });
  assert.is(decide(l, f(), P, 100_000, G).reason, 'hung: liveness: timeout → restart (attempt 1)', 'attempts reset after resetAfterMs');
  const l2 = begin(l, f(), 'restart', 70_000, P, 30_000);
  assert.is(l2.attempts.i.count, 1, 'the ledger resets the count too');
  const l3 = begin(finish(l2, 'i'), f(), 'restart', 80_000, P, 30_000);
  assert.is(l3.attempts.i.count, 2);
});

test('backoff doubles from minMs up to maxMs; none for the first attempt', () => {
  assert.equal([1, 2, 3, 4, 10, 40].map((n) => backoffMs(n, P)), [0, 1_000, 2_000, 4_000, 30_000, 30_000]);
});

test('decide: a restart or redeploy needs a permit of the cluster-wide budget: none → request, queued → escalate, syncing → wait, taken → skip; ejections need none', () => {
  const none: Permit = { state: 'none' };
  assert.equal(decide(EMPTY_LEDGER, f(), P, 0, none), { verdict: 'request', action: 'restart', reason: 'hung of i → restart needs a permit of the cluster-wide budget' });
  assert.equal(decide(EMPTY_LEDGER, f(), P, 0, { state: 'queued', owner: 'a', inUse: 2, budget: 2 }),
    { verdict: 'escalate', action: 'restart', reason: 'the cluster-wide budget of 2 concurrent recoveries is exhausted (2 in use, owner node a); hung of i waits for a permit' });
  assert.equal(decide(EMPTY_LEDGER, f(), P, 0, { state: 'syncing', owner: 'b', untilMs: 900 }),
    { verdict: 'wait', action: 'restart', retryAtMs: 900, reason: "the budget's new owner, node b, grants once every coordinator has reported the permits it holds (by 900 ms at the latest)" });
  assert.is(decide(EMPTY_LEDGER, f(), P, 900, { state: 'syncing', owner: 'b', untilMs: 900 }).verdict, 'request', 'a sync that is over is no answer: ask again');
  assert.equal(decide(EMPTY_LEDGER, f({ kind: 'crash-loop' }), P, 0, { state: 'taken', by: 'c' }),
    { verdict: 'skip', action: 'redeploy', reason: "i is being recovered through node c's coordinator, which holds its permit" });
  assert.is(decide(EMPTY_LEDGER, f({ kind: 'degraded' }), P, 0, none).verdict, 'start', 'an ejection needs no permit');
  assert.is(decide(EMPTY_LEDGER, f({ kind: 'degraded' }), P, 0, { state: 'taken', by: 'c' }).verdict, 'start', '… nor is another holder of a permit in its way');
  const cooling = begin(EMPTY_LEDGER, f({ instance: 'j' }), 'restart', 0, P, 30_000);
  assert.is(decide(cooling, f(), P, 10, none).verdict, 'wait', 'cooldown comes before asking for a permit');
  const l = begin(EMPTY_LEDGER, f({ service: 'c', instance: 'c1', kind: 'degraded' }), 'circuit-break', 0, P, 30_000);
  assert.is(l.running.c1, undefined, 'an ejection holds no permit');
  assert.is(finish(l, 'nobody'), l);
  assert.equal(['restart', 'redeploy', 'reroute', 'circuit-break', 'none'].map((a) => holdsSlot(a as never)), [true, true, false, false, false]);
});

test('decide: a redeploy says where its fresh instance goes: to another node, or on the same node and why', () => {
  const suspect = f({ kind: 'node-suspect', reasons: ['node c is suspect'], node: 'c', target: { node: 'a' } });
  assert.is(decide(EMPTY_LEDGER, suspect, P, 0, G).reason, 'node-suspect: node c is suspect → redeploy to node a (attempt 1)');
  const pinned = f({ kind: 'node-suspect', reasons: ['node c is suspect'], node: 'c', target: { node: 'c', fallback: 'no other node qualifies under the placement rules' } });
  assert.is(decide(EMPTY_LEDGER, pinned, P, 0, G).reason, 'node-suspect: node c is suspect → redeploy on the same node c: no other node qualifies under the placement rules (attempt 1)');
  assert.is(decide(EMPTY_LEDGER, f({ kind: 'hung', target: { node: 'a' } }), P, 0, G).reason, 'hung: liveness: timeout → restart (attempt 1)', 'only a redeploy names a node');
});

test('policy: defaults written out; bad fields are invalid-spec naming the field', () => {
  assert.is(resolveRecoveryPolicy(undefined, 'x'), P);
  assert.equal(P.actions, { 'hung': 'restart', 'crash-loop': 'redeploy', 'node-suspect': 'redeploy', 'not-ready': 'reroute', 'degraded': 'circuit-break' });
  const custom = resolveRecoveryPolicy({ actions: { hung: 'redeploy' }, maxEjectedFraction: 0.2, cooldownMs: 0, backoff: { minMs: 10 }, resetAfterMs: 1, breakMs: 1 }, 'x');
  assert.equal([custom.actions.hung, custom.actions.degraded, custom.maxEjectedFraction, custom.cooldownMs, custom.backoff, custom.resetAfterMs, custom.breakMs],
    ['redeploy', 'circuit-break', 0.2, 0, { minMs: 10, maxMs: 30_000 }, 1, 1]);
  assert.equal(resolveRecoveryPolicy({ backoff: { minMs: 40_000 } }, 'x').backoff, { minMs: 40_000, maxMs: 40_000 });
  assert.is(resolveRecoveryPolicy({ actions: { 'node-suspect': 'none' } }, 'x').actions['node-suspect'], 'none');
  assert.throws(() => resolveRecoveryPolicy({ actions: { 'node-suspect': 'reroute' } }, 'x'), /node-suspect must be redeploy or none, got "reroute": the instance's node is not trusted/);
  const bad: [unknown, string][] = [
    [null, 'policy'], [[], 'policy'], [{ nope: 1 }, 'nope'], [{ actions: 3 }, 'actions'], [{ actions: null }, 'actions'], [{ actions: { sad: 'restart' } }, 'actions.sad'],
    [{ actions: { hung: 'pray' } }, 'actions.hung'], [{ actions: { 'node-suspect': 'restart' } }, 'actions.node-suspect'], [{ maxEjectedFraction: 1 }, 'maxEjectedFraction'], [{ maxEjectedFraction: '0.5' }, 'maxEjectedFraction'],
    [{ cooldownMs: -1 }, 'cooldownMs'], [{ resetAfterMs: 0 }, 'resetAfterMs'], [{ breakMs: Infinity }, 'breakMs'], [{ backoff: 5 }, 'backoff'], [{ backoff: null }, 'backoff'],
    [{ backoff: { minMs: -1 } }, 'backoff.minMs'], [{ backoff: { minMs: 10, maxMs: 5 } }, 'backoff.maxMs'],
  ];
  for (const [p, field] of bad) {
    const e = (() => { try { resolveRecoveryPolicy(p as never, 'where'); } catch (x) { return x; } })();
    assert.ok(isTroupeError(e, 'invalid-spec'), JSON.stringify(p));
    assert.is((e as TroupeError).data?.field, field, JSON.stringify(p));
    assert.match((e as Error).message, /^where: /);
  }
});

test.run();
