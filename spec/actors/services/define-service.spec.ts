// defineService: defaults written out, and a typed `invalid-spec` naming the field for each bad one.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type TroupeError } from '../../../runtime/index.ts';
import { defineService, type ServiceSpec } from '../../../actors/services/index.ts';
import { DEFAULT_RECOVERY_POLICY } from '../../../actors/recovery/index.ts';

const test = suite('defineService');
const behavior = defineActor<{ type: 'ping' }, undefined>({ init: () => undefined, receive: () => undefined });
const spec = (extra: Record<string, unknown>): ServiceSpec<{ type: 'ping' }> => ({ name: 'orders', behavior, ...extra }) as ServiceSpec<{ type: 'ping' }>;

test('defaults: version 1, one instance, spread over nodes, no cap, drain 10 s / quiet 250 ms, handover 5 s, weight 1, shutdown 5 s', () => {
  const d = defineService(spec({}));
  assert.equal({ kind: d.kind, name: d.name, key: d.key, version: d.version, instances: d.instances, placement: d.placement, probes: d.probes, recovery: d.recovery, drain: d.drain, handoverMs: d.handoverMs, weight: d.weight, shutdownMs: d.shutdownMs }, {
    kind: 'service', name: 'orders', key: { kind: 'service-key', id: 'orders' }, version: '1', instances: 1,
    placement: { spread: 'nodes', nodes: undefined, zones: undefined, maxPerNode: Infinity }, probes: undefined,
    recovery: { intensity: { maxRestarts: 3, withinMs: 5_000 }, backoff: undefined, policy: DEFAULT_RECOVERY_POLICY }, drain: { deadlineMs: 10_000, quietMs: 250 },
    handoverMs: 5_000, weight: 1, shutdownMs: 5_000,
  });
  assert.ok(Object.isFrozen(d) && Object.isFrozen(d.placement), 'a definition is frozen');
  const full = defineService(spec({ version: '2.1', instances: 0, placement: { spread: 'zones', nodes: ['a', 'b'], zones: ['eu-1'], maxPerNode: 2 }, probes: { liveness: {} }, recovery: { intensity: { maxRestarts: 5, withinMs: 1_000 }, backoff: { minMs: 10, maxMs: 100 } }, drain: { deadlineMs: 1, quietMs: 0 }, handoverMs: 0, weight: 0, shutdownMs: 0 }));
  assert.equal(full.placement, { spread: 'zones', nodes: ['a', 'b'], zones: ['eu-1'], maxPerNode: 2 });
  assert.equal([full.instances, full.weight, full.drain.quietMs, full.recovery.backoff], [0, 0, 0, { minMs: 10, maxMs: 100 }]);
});

const BAD: [string, Record<string, unknown>, string][] = [
  ['name', { name: '' }, 'name'],
  ['name', { name: '-orders' }, 'name'],
  ['name', { name: 'a b' }, 'name'],
  ['name', { name: 'x'.repeat(65) }, 'name'],
  ['unknown field', { instance: 3 }, 'instance'],
  ['version', { version: '' }, 'version'],
  ['version', { version: 'v 2' }, 'version'],
  ['behavior', { behavior: undefined }, 'behavior'],
  ['behavior', { behavior: { init: () => undefined, receive: () => undefined } }, 'behavior'],
  ['instances', { instances: -1 }, 'instances'],
  ['instances', { instances: 1.5 }, 'instances'],
  ['instances', { instances: 10_001 }, 'instances'],
  ['instances', { instances: '3' }, 'instances'],
  ['placement', { placement: 'spread' }, 'placement'],
  ['placement.spread', { placement: { spread: 'racks' } }, 'placement.spread'],
  ['placement.nodes', { placement: { nodes: [] } }, 'placement.nodes'],
  ['placement.nodes', { placement: { nodes: ['a', 'a'] } }, 'placement.nodes'],
  ['placement.nodes', { placement: { nodes: 'a' } }, 'placement.nodes'],
  ['placement.zones', { placement: { zones: ['eu 1'] } }, 'placement.zones'],
  ['placement.maxPerNode', { placement: { maxPerNode: 0 } }, 'placement.maxPerNode'],
  ['placement.maxPerNode', { placement: { maxPerNode: 1.5 } }, 'placement.maxPerNode'],
  ['placement typo', { placement: { maxPerNodes: 2 } }, 'placement.maxPerNodes'],
  ['probes', { probes: 'http' }, 'probes'],
  ['recovery', { recovery: 3 }, 'recovery'],
  ['recovery.intensity', { recovery: { intensity: { maxRestarts: 0, withinMs: 1_000 } } }, 'recovery.intensity'],
  ['recovery.intensity', { recovery: { intensity: { maxRestarts: 3, withinMs: Infinity } } }, 'recovery.intensity'],
  ['recovery.backoff', { recovery: { backoff: { minMs: 10, maxMs: 5 } } }, 'recovery.backoff'],
  ['recovery typo', { recovery: { retries: 3 } }, 'recovery.retries'],
  ['recovery.policy', { recovery: { policy: { cooldownMs: -1 } } }, 'recovery.policy.cooldownMs'],
  ['probes', { probes: { liveness: { periodMs: 0 } } }, 'probes.liveness.periodMs'],
  ['drain', { drain: 5 }, 'drain'],
  ['drain.deadlineMs', { drain: { deadlineMs: 0 } }, 'drain.deadlineMs'],
  ['drain.quietMs', { drain: { quietMs: -1 } }, 'drain.quietMs'],
  ['handoverMs', { handoverMs: -5 }, 'handoverMs'],
  ['handoverMs', { handoverMs: Infinity }, 'handoverMs'],
  ['weight', { weight: -1 }, 'weight'],
  ['weight', { weight: NaN }, 'weight'],
  ['shutdownMs', { shutdownMs: 'soon' }, 'shutdownMs'],
];

for (const [what, extra, field] of BAD) {
  test(`a bad ${what} (${JSON.stringify(extra, (_k, v) => (typeof v === 'function' ? 'fn' : v === undefined ? 'undefined' : v))}) throws invalid-spec naming ${field}`, () => {
    let error: unknown;
    try { defineService(spec(extra)); } catch (e) { error = e; }
    assert.ok(isTroupeError(error, 'invalid-spec'), `expected invalid-spec, got ${String(error)}`);
    assert.is((error as TroupeError).data.field, field);
    assert.ok((error as Error).message.includes(field), `the message names ${field}: ${(error as Error).message}`);
  });
}

test('a spec that is not an object throws invalid-spec', () => {
  for (const v of [undefined, null, 3, []]) {
    assert.throws(() => defineService(v as never), (e: unknown) => isTroupeError(e, 'invalid-spec') && (e as TroupeError).data.field === 'spec');
  }
});

test.run();
