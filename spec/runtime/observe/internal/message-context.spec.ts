// Where correlation and causation ids are read from, table-driven (no system).

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { correlationOf } from '../../../../runtime/observe/internal/message-context.ts';

const cases: readonly [string, unknown, ReturnType<typeof correlationOf>][] = [
  ['fields on the message', { type: 'place', correlationId: 'c1', causationId: 'k1' }, { correlationId: 'c1', causationId: 'k1' }],
  ['a journal event\'s meta', { stream: 's', meta: { id: 'e1', correlationId: 'c2', causationId: 'k2', timestampMs: 0 } }, { correlationId: 'c2', causationId: 'k2' }],
  ['a bus delivery\'s event headers', { type: 'bus.delivery', event: { headers: { 'correlation-id': 'c3', 'causation-id': 'k3' } } }, { correlationId: 'c3', causationId: 'k3' }],
  ['a bus event\'s headers', { id: 'e', headers: { 'correlation-id': 'c4' } }, { correlationId: 'c4' }],
  ['fields win over meta', { correlationId: 'top', meta: { correlationId: 'meta', causationId: 'k5' } }, { correlationId: 'top', causationId: 'k5' }],
  ['empty strings are absent', { correlationId: '', causationId: 7 }, {}],
  ['no ids', { type: 'ping' }, {}],
  ['not an object', 'hello', {}],
  ['null', null, {}],
  ['headers that are not an object', { type: 'bus.delivery', event: { headers: 'x' } }, {}],
];

for (const [what, msg, want] of cases) {
  test(`correlationOf: ${what}`, () => {
    assert.equal(correlationOf(msg), want);
  });
}

test.run();
