// The stream-name rule, table-driven.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { assertStreamName, isValidStreamName } from '../../../actors/journal/stream-name.ts';
import { isTroupeError } from '../../../runtime/errors.ts';

const valid = ['a', 'cart-42', 'order:42', 'Tenant_1.orders:7-b', 'x'.repeat(200), '...', '0'];
const invalid: unknown[] = ['', 'x'.repeat(201), '$all', '$system-log', 'a b', 'a/b', 'a\\b', 'é', 'a\n', 'a$b', 42, null, undefined];

test('accepts 1–200 characters of A–Z a–z 0–9 _ . : -', () => {
  for (const name of valid) assert.ok(isValidStreamName(name), name);
});

test('rejects everything else, with invalid-stream and a message saying the rule', () => {
  for (const name of invalid) {
    assert.not.ok(isValidStreamName(name), String(name));
    try {
      assertStreamName(name);
      assert.unreachable(`accepted ${String(name)}`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-stream'), String(e));
      assert.match((e as Error).message, /1–200 characters/);
    }
  }
});

test.run();
