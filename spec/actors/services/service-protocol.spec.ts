// The service messages between nodes: declared once per registry, and every malformed payload
// refused by its validator (remote input is decoded totally: a bad peer cannot crash a node).

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { ActorRef } from '../../../runtime/actor-ref.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { registerServiceMessages, SERVICE_MESSAGE_TYPES } from '../../../actors/services/index.ts';
import { RECOVERY_MESSAGE_TYPES } from '../../../actors/recovery/index.ts';
import { createTestSystem } from '../../../runtime/testing/test-system.ts';

const test = suite('service protocol');
const kit = createTestSystem();
const ref = kit.createProbe<unknown>().ref;

test('registerServiceMessages declares the four types (and the recovery coordinators\' three) at version 1, once', () => {
  const registry = registerServiceMessages(createMessageRegistry());
  assert.equal(Object.entries(registry.manifest().types).map(([type, e]) => `${type}@${e.version}`).sort(), [...SERVICE_MESSAGE_TYPES, ...RECOVERY_MESSAGE_TYPES].map((t) => `${t}@1`).sort());
  assert.is(registerServiceMessages(registry), registry, 'declaring twice leaves the registry as it is');
});

const GOOD: [string, Record<string, unknown>][] = [
  ['service.scale', { service: 'orders', count: 3 }],
  ['service.scale', { service: 'orders', count: 0, replyTo: ref }],
  ['service.drain', { service: 'orders', instance: 'orders-1', deadlineMs: 500, forwarded: true, replyTo: ref }],
  ['service.status', { service: 'orders', scope: 'node', replyTo: ref }],
  ['service.desired', { service: 'orders', count: 4, version: 7, writer: 'n2', from: 'n2', reply: false }],
  ['service.desired', { service: 'orders', count: 4, version: 7, writer: 'n2', from: 'n2', reply: false, moves: [{ ordinal: 2, avoid: ['n3'], hosts: 'n1,n2,n3', version: 1, writer: 'n1' }] }],
];

const BAD: [string, unknown][] = [
  ['service.scale', null],
  ['service.scale', 'scale'],
  ['service.scale', { service: '', count: 3 }],
  ['service.scale', { service: 'orders', count: -1 }],
  ['service.scale', { service: 'orders', count: 10_001 }],
  ['service.scale', { service: 'orders', count: 2, replyTo: 'troupe://x@y/z#1' }],
  ['service.drain', { service: 'orders' }],
  ['service.drain', { service: 'orders', instance: 'orders-1', deadlineMs: 0 }],
  ['service.drain', { service: 'orders', instance: 'orders-1', forwarded: 'yes' }],
  ['service.status', { service: 'orders' }],
  ['service.status', { service: 'orders', scope: 'planet', replyTo: ref }],
  ['service.desired', { service: 'orders', count: 1e9, version: 1, writer: 'a', from: 'a', reply: false }],
  ['service.desired', { service: 'orders', count: 1, version: -1, writer: 'a', from: 'a', reply: false }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 7, from: 'a', reply: false }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a' }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: 'all' }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: [{ ordinal: -1, avoid: ['c'], hosts: 'a,c', version: 1, writer: 'a' }] }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: [{ ordinal: 0, avoid: [], hosts: 'a,c', version: 1, writer: 'a' }] }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: [{ ordinal: 0, avoid: ['c'], version: 1, writer: 'a' }] }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: [{ ordinal: 0, avoid: ['c'], hosts: 'a,c', version: 1 }] }],
  ['service.desired', { service: 'orders', count: 1, version: 1, writer: 'a', from: 'a', reply: false, moves: [null] }],
];

test('well-formed payloads pass their validators', () => {
  const registry = registerServiceMessages(createMessageRegistry());
  for (const [type, payload] of GOOD) assert.equal(registry.decode(type, 1, payload), payload, type);
});

test('every malformed payload is refused with schema-invalid, never a crash', () => {
  const registry = registerServiceMessages(createMessageRegistry());
  for (const [type, payload] of BAD) {
    assert.throws(() => registry.decode(type, 1, payload), (e: unknown) => isTroupeError(e, 'schema-invalid'), `${type} ${JSON.stringify(payload)}`);
  }
  assert.ok(ref instanceof ActorRef);
});

test.after(() => kit.terminate().then(() => undefined));
test.run();
