import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { DEFAULT_DELIVERY, resolveDelivery } from '../../../actors/event-bus/delivery-settings.ts';

test('defaults are the documented ones', () => {
  assert.equal(resolveDelivery(undefined, DEFAULT_DELIVERY, 'x'), {
    ackTimeoutMs: 5_000, maxAttempts: 5, backoff: { minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 }, maxUnacked: 100, maxBuffered: 1_000,
  });
});

test('given fields override, a partial backoff gets factor 2 and jitter 0.2', () => {
  const s = resolveDelivery({ maxAttempts: 2, backoff: { minMs: 5, maxMs: 50 } }, DEFAULT_DELIVERY, 'x');
  assert.equal([s.maxAttempts, s.backoff, s.ackTimeoutMs], [2, { minMs: 5, maxMs: 50, factor: 2, jitter: 0.2 }, 5_000]);
});

const bad: [string, object][] = [
  ['ackTimeoutMs', { ackTimeoutMs: 0 }],
  ['maxAttempts', { maxAttempts: 1.5 }],
  ['maxUnacked', { maxUnacked: 0 }],
  ['maxBuffered', { maxBuffered: -1 }],
  ['backoff', { backoff: { minMs: 10, maxMs: 5 } }],
  ['backoff', { backoff: { minMs: 1, maxMs: 5, jitter: 2 } }],
];
for (const [field, o] of bad) {
  test(`rejects a bad ${field}: ${JSON.stringify(o)}`, () => {
    assert.throws(() => resolveDelivery(o, DEFAULT_DELIVERY, 'subscribe'), (e: unknown) => isTroupeError(e, 'invalid-argument') && (e as Error).message.includes(field));
  });
}

test.run();
