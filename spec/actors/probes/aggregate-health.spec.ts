// Specs of per-service aggregation, the node snapshot and the /livez /readyz listings: pure rules, table-driven.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  aggregateHealth, buildSnapshot, evaluateListing, renderListing, worstOf,
  type HealthState, type InstanceHealth, type InstanceHealthStatus,
} from '../../../actors/probes/index.ts';

const H: Record<HealthState | 'not-live', InstanceHealth> = {
  healthy: { state: 'healthy', live: true, ready: true, started: true, reasons: [], sinceMs: 0 },
  degraded: { state: 'degraded', live: true, ready: true, started: true, reasons: ['latency p99 300 ms > 100 ms'], sinceMs: 0 },
  starting: { state: 'starting', live: true, ready: false, started: false, reasons: ['startup: not yet succeeded'], sinceMs: 0 },
  unhealthy: { state: 'unhealthy', live: true, ready: false, started: true, reasons: ['readiness: db down'], sinceMs: 0 },
  'not-live': { state: 'unhealthy', live: false, ready: false, started: true, reasons: [], sinceMs: 0 },
};
const inst = (instance: string, h: keyof typeof H, service?: string): InstanceHealthStatus => ({ instance, ...(service ? { service } : {}), health: H[h] });

const aggregate = suite('aggregateHealth');

aggregate('the rules, in order', () => {
  const cases: [(keyof typeof H)[], string, string[]][] = [
    [[], 'unhealthy', ['no instances']],
    [['unhealthy', 'starting'], 'unhealthy', ['no instance is ready (0/2)', '/a: unhealthy (readiness: db down)', '/b: starting (startup: not yet succeeded)']],
    [['healthy', 'unhealthy'], 'degraded', ['1/2 instances not ready', '/b: unhealthy (readiness: db down)']],
    [['healthy', 'degraded'], 'degraded', ['1/2 instances degraded', '/b: degraded (latency p99 300 ms > 100 ms)']],
    [['degraded', 'not-live', 'healthy'], 'degraded', ['1/3 instances not ready', '1/3 instances degraded', '/a: degraded (latency p99 300 ms > 100 ms)', '/b: unhealthy']],
    [['healthy', 'healthy'], 'healthy', []],
  ];
  for (const [states, state, reasons] of cases) {
    const a = aggregateHealth(states.map((s, i) => inst(`/${'abc'[i]}`, s)));
    assert.equal([a.state, a.reasons], [state, reasons], states.join(','));
    assert.is(a.total, states.length);
  }
});

aggregate('worstOf orders unhealthy > degraded > healthy', () => {
  assert.is(worstOf('healthy', 'degraded'), 'degraded');
  assert.is(worstOf('unhealthy', 'degraded'), 'unhealthy');
  assert.is(worstOf('healthy', 'healthy'), 'healthy');
});

const snapshot = suite('health snapshot');

snapshot('groups by service, sorts, and takes the worst for the node', () => {
  const s = buildSnapshot('n1', 42, [inst('/user/b1', 'healthy', 'b'), inst('/user/a2', 'unhealthy', 'a'), inst('/user/a1', 'healthy', 'a'), inst('/user/solo', 'healthy')]);
  assert.equal(s.services.map((x) => [x.service, x.state, x.ready, x.total, x.instances.map((i) => i.instance)]), [
    ['a', 'degraded', 1, 2, ['/user/a1', '/user/a2']],
    ['b', 'healthy', 1, 1, ['/user/b1']],
  ]);
  assert.equal(s.instances.map((i) => i.instance), ['/user/a1', '/user/a2', '/user/b1', '/user/solo']);
  assert.equal([s.node, s.atMs, s.state], ['n1', 42, 'degraded']);
  assert.is(buildSnapshot('n1', 0, [inst('/user/solo', 'starting')]).state, 'unhealthy', 'an instance of no service counts as a one-instance service');
  assert.is(buildSnapshot('n1', 0, []).state, 'healthy', 'nothing probed: nothing wrong');
});

const listing = suite('/livez and /readyz listings');
const ping = { name: 'ping', ok: true };
const snap = buildSnapshot('n1', 0, [inst('/user/a1', 'not-live', 'a'), inst('/user/a2', 'healthy', 'a'), inst('/user/b1', 'unhealthy', 'b'), inst('/user/solo', 'starting')]);

listing('livez: ping, then each instance\'s liveness', () => {
  const l = evaluateListing('livez', snap, ping);
  assert.equal(l.checks, [ping, { name: '/user/a1', ok: false, reason: 'not live' }, { name: '/user/a2', ok: true }, { name: '/user/b1', ok: true }, { name: '/user/solo', ok: true }]);
  assert.is(l.ok, false);
  assert.is(evaluateListing('livez', snap, ping, ['/user/a1']).ok, true, 'excluded');
});

listing('readyz: ping, each service (failing only when unhealthy), each instance of no service', () => {
  const l = evaluateListing('readyz', snap, ping);
  assert.equal(l.checks.map((c) => [c.name, c.ok]), [['ping', true], ['service/a', true], ['service/b', false], ['/user/solo', false]]);
  assert.match(l.checks[2].reason!, /^no instance is ready \(0\/1\); \/user\/b1: unhealthy/);
  assert.is(l.checks[3].reason, 'startup: not yet succeeded');
  const ex = evaluateListing('readyz', snap, ping, ['service/b', '/user/solo', 'nope']);
  assert.equal([ex.ok, ex.excluded, ex.unknownExcludes], [true, ['service/b', '/user/solo'], ['nope']]);
  assert.is(evaluateListing('readyz', snap, { name: 'ping', ok: false, reason: 'no answer' }, ['service/b', '/user/solo']).ok, false, 'ping counts');
  const bare = buildSnapshot('n', 0, [{ instance: '/user/x', health: { ...H.unhealthy, reasons: [] } }, { instance: '/user/y', service: 'y', health: { ...H.unhealthy, reasons: [] } }]);
  assert.equal(evaluateListing('readyz', bare, ping).checks.slice(1).map((c) => c.reason), ['no instance is ready (0/1); /user/y: unhealthy', 'not ready']);
});

listing('rendered as Kubernetes does', () => {
  const ok = evaluateListing('livez', buildSnapshot('n', 0, [inst('/user/a', 'healthy')]), ping);
  assert.is(renderListing(ok, false), 'ok\n');
  assert.is(renderListing(ok, true), '[+]ping ok\n[+]/user/a ok\nlivez check passed\n');
  const failed = evaluateListing('readyz', snap, ping, ['service/a', 'nope']);
  assert.is(renderListing(failed, false), [
    '[+]ping ok',
    '[-]service/b failed: no instance is ready (0/1); /user/b1: unhealthy (readiness: db down)',
    '[-]/user/solo failed: startup: not yet succeeded',
    '[+]service/a excluded: ok',
    'warn: some health checks cannot be excluded: no matches for "nope"',
    'readyz check failed',
    '',
  ].join('\n'));
  assert.is(renderListing({ kind: 'livez', ok: false, checks: [{ name: 'x', ok: false }], excluded: [], unknownExcludes: [] }, true), '[-]x failed: failed\nlivez check failed\n');
});

aggregate.run();
snapshot.run();
listing.run();
