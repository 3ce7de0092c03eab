import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { registerEventBusMessages } from '../../../actors/event-bus/messages.ts';

test('declares every message type the bus sends between nodes, version 1', () => {
  const r = registerEventBusMessages(createMessageRegistry());
  assert.equal(Object.keys(r.manifest().types), ['bus.ack', 'bus.delivery', 'bus.hello', 'bus.nack', 'bus.subscribe', 'bus.unsubscribe', 'bus.welcome']);
  assert.ok(Object.values(r.manifest().types).every((t) => t.version === 1));
});

test('a malformed payload is rejected as schema-invalid on the receiving node', () => {
  const r = registerEventBusMessages(createMessageRegistry());
  assert.equal(r.decode('bus.ack', 1, { type: 'bus.ack', subscription: 's', eventId: 'e' }), { type: 'bus.ack', subscription: 's', eventId: 'e' });
  assert.throws(() => r.decode('bus.ack', 1, { type: 'bus.ack', subscription: 's' }), (e: unknown) => isTroupeError(e, 'schema-invalid'));
  assert.throws(() => r.decode('bus.delivery', 1, null), (e: unknown) => isTroupeError(e, 'schema-invalid'));
});

test.run();
