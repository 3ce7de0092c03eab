// The recovery coordinators' messages between nodes: declared once per registry, and every
// malformed payload refused by its validator (a bad peer cannot crash a node or skew the budget).

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { registerRecoveryMessages, RECOVERY_MESSAGE_TYPES } from '../../../actors/recovery/index.ts';
import { createTestSystem } from '../../../runtime/testing/test-system.ts';

const test = suite('recovery protocol');
const kit = createTestSystem();
const ref = kit.createProbe<unknown>().ref;

const GOOD: [string, Record<string, unknown>][] = [
  ['recovery.report', { from: ref, node: 'a', seq: 3, held: [{ id: 'troupe://s@a/user/x#1', service: 'orders', remainingMs: 10 }], wanted: [{ id: 'troupe://s@a/user/y#2', service: 'orders', ttlMs: 30_000 }] }],
  ['recovery.report', { from: ref, node: 'a', seq: 0, held: [], wanted: [] }],
  ['recovery.answer', { owner: 'b', granted: ['x'], queued: ['y'], taken: [{ id: 'z', by: 'c' }], inUse: 2, budget: 2, syncingForMs: 0 }],
  ['recovery.sync', { from: ref }],
];

const BAD: [string, unknown][] = [
  ['recovery.report', null],
  ['recovery.report', { from: 'troupe://s@a/user/r#1', node: 'a', seq: 1, held: [], wanted: [] }],
  ['recovery.report', { from: ref, node: '', seq: 1, held: [], wanted: [] }],
  ['recovery.report', { from: ref, node: 'a', seq: -1, held: [], wanted: [] }],
  ['recovery.report', { from: ref, node: 'a', seq: 1, held: [{ id: 'x', service: 's', remainingMs: -5 }], wanted: [] }],
  ['recovery.report', { from: ref, node: 'a', seq: 1, held: [], wanted: [{ id: 'x', service: 's' }] }],
  ['recovery.report', { from: ref, node: 'a', seq: 1, held: 'all', wanted: [] }],
  ['recovery.report', { from: ref, node: 'a', seq: 1, held: [null], wanted: [] }],
  ['recovery.answer', { owner: 'b', granted: [3], queued: [], taken: [], inUse: 0, budget: 2, syncingForMs: 0 }],
  ['recovery.answer', { owner: 'b', granted: [], queued: [], taken: [{ id: 'z' }], inUse: 0, budget: 2, syncingForMs: 0 }],
  ['recovery.answer', { owner: 'b', granted: [], queued: [], taken: [], inUse: 1.5, budget: 2, syncingForMs: 0 }],
  ['recovery.answer', { owner: '', granted: [], queued: [], taken: [], inUse: 0, budget: 2, syncingForMs: 0 }],
  ['recovery.answer', { owner: 'b', granted: [], queued: [], taken: [], inUse: 0, budget: 2, syncingForMs: Number.NaN }],
  ['recovery.sync', { from: 42 }],
];

test('registerRecoveryMessages declares the three types at version 1, once', () => {
  const registry = registerRecoveryMessages(createMessageRegistry());
  assert.equal(Object.keys(registry.manifest().types).sort(), [...RECOVERY_MESSAGE_TYPES].sort());
  assert.is(registerRecoveryMessages(registry), registry);
});

test('well-formed payloads pass; every malformed one is refused with schema-invalid, never a crash', () => {
  const registry = registerRecoveryMessages(createMessageRegistry());
  for (const [type, payload] of GOOD) assert.equal(registry.decode(type, 1, payload), payload, type);
  for (const [type, payload] of BAD) {
    assert.throws(() => registry.decode(type, 1, payload), (e: unknown) => isTroupeError(e, 'schema-invalid'), `${type} ${JSON.stringify(payload)}`);
  }
});

test.after(() => kit.terminate().then(() => undefined));
test.run();
