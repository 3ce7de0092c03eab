// How node-postgres failures map to the LogSource's typed errors (table-driven, no server needed:
// a full disk cannot be produced on demand against the CI server).

import * as assert from 'uvu/assert';
import { isConnectionFailure, pgLogFailure } from '../../../../actors/streams/internal/pg-log-errors.ts';
import { TroupeError } from '../../../../runtime/errors.ts';
import { test } from '../../../helpers/uvu.ts';

const pgError = (code: string, message = `error ${code}`): Error => Object.assign(new Error(message), { code });

const cases: [string, unknown, string][] = [
  ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'backend-unavailable'],
  ['a refused connection on every address of a host (AggregateError)', Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''), {}), 'backend-unavailable'],
  ['a connection lost mid-query', new Error('Connection terminated unexpectedly'), 'backend-unavailable'],
  ['a pool connect timeout', new Error('timeout exceeded when trying to connect'), 'backend-unavailable'],
  ['connection_failure (SQLSTATE 08006)', pgError('08006'), 'backend-unavailable'],
  ['admin_shutdown (57P01)', pgError('57P01'), 'backend-unavailable'],
  ['too_many_connections (53300)', pgError('53300'), 'backend-unavailable'],
  ['disk_full (53100)', pgError('53100', 'could not extend file: No space left on device'), 'storage-full'],
  ['character_not_in_repertoire (22021)', pgError('22021'), 'invalid-argument'],
  ['insufficient_privilege (42501)', pgError('42501', 'permission denied for schema x'), 'backend-unavailable'],
];

test('PostgreSQL failures become typed errors naming the backend', () => {
  for (const [what, e, code] of cases) {
    const t = pgLogFailure(e, 'append to "orders"', 'pg', 'troupe');
    assert.is(t.code, code, what);
    assert.is(t.data.backend, 'pg', what);
    assert.ok(t.message.startsWith('append to "orders" failed'), what);
    assert.is(t.cause, e, what);
  }
  assert.ok(/Start the server or fix/.test(pgLogFailure(cases[0][1], 'x', 'pg', 'troupe').message), 'the fix is named');
});

test('a Troupe error passes through unchanged; a statement error is not a connection failure', () => {
  const mine = new TroupeError('stale-generation', 'old');
  assert.is(pgLogFailure(mine, 'commit', 'pg', 'troupe'), mine);
  assert.not.ok(isConnectionFailure(pgError('23505')));
  assert.ok(isConnectionFailure(pgError('08001')));
});

test.run();
