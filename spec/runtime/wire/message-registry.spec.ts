import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMessageRegistry, type MessageTypeSpec } from '../../../runtime/wire/message-registry.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';

function errorOf(fn: () => unknown): TroupeError {
  try {
    fn();
  } catch (e) {
    assert.ok(isTroupeError(e), `expected a TroupeError, got ${String(e)}`);
    return e;
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

type V1 = { name: string };
type V2 = { first: string; last: string };
type V3 = { first: string; last: string; email: string | null };

const registry = () => createMessageRegistry()
  .define('user.created', {
    version: 3,
    upcasters: {
      1: (p) => { const [first, last = ''] = (p as V1).name.split(' '); return { first, last } satisfies V2; },
      2: (p) => ({ ...(p as V2), email: null }) satisfies V3,
    },
    validate: (p) => typeof (p as V3).first === 'string' && (p as V3).first.length > 0 || 'first name is required',
  })
  .define('ping', { version: 1 });

test('decode returns a current payload unchanged and chains upcasters from older versions', () => {
  const r = registry();
  assert.equal(r.decode('user.created', 3, { first: 'Ada', last: 'L', email: 'a@x' }), { first: 'Ada', last: 'L', email: 'a@x' });
  assert.equal(r.decode('user.created', 2, { first: 'Ada', last: 'L' }), { first: 'Ada', last: 'L', email: null });
  assert.equal(r.decode('user.created', 1, { name: 'Ada Lovelace' }), { first: 'Ada', last: 'Lovelace', email: null });
  assert.equal(r.decode('ping', 1, 'anything'), 'anything', 'no validator: everything passes');
  assert.is(r.versionOf('user.created'), 3);
  assert.ok(r.has('ping'));
  assert.not.ok(r.has('pong'));
});

test('an undeclared type is unknown-message-type', () => {
  const r = registry();
  assert.is(errorOf(() => r.decode('pong', 1, {})).code, 'unknown-message-type');
  assert.is(errorOf(() => r.versionOf('pong')).code, 'unknown-message-type');
});

test('a version newer than known, older than the oldest upcaster, or not a version is unsupported-version', () => {
  const r = createMessageRegistry().define('t', { version: 4, upcasters: { 2: (p) => p, 3: (p) => p } });
  for (const v of [5, 1, 0, -1, 2.5, NaN]) {
    const e = errorOf(() => r.decode('t', v, {}));
    assert.is(e.code, 'unsupported-version', `version ${v}`);
  }
  const e = errorOf(() => r.decode('t', 5, {}));
  assert.equal(e.data, { type: 't', version: 5, currentVersion: 4, minVersion: 2 });
  assert.ok(/upgrade this node/.test(e.message));
  assert.ok(/add an upcaster from v1/.test(errorOf(() => r.decode('t', 1, {})).message));
});

test('a failing validator is schema-invalid with its reason; false gives a generic reason', () => {
  const r = registry();
  const e = errorOf(() => r.decode('user.created', 3, { first: '', last: 'x', email: null }));
  assert.is(e.code, 'schema-invalid');
  assert.is(e.data.reason, 'first name is required');
  const r2 = createMessageRegistry().define('n', { version: 1, validate: (p) => typeof p === 'number' });
  assert.is(errorOf(() => r2.decode('n', 1, 'x')).code, 'schema-invalid');
  const r3 = createMessageRegistry().define('n', { version: 1, validate: () => { throw new Error('boom'); } });
  assert.ok(/boom/.test(errorOf(() => r3.decode('n', 1, 1)).message));
});

test('the validator runs on the upcasted payload, and a throwing upcaster is schema-invalid', () => {
  const r = registry();
  const e = errorOf(() => r.decode('user.created', 1, { name: '' }));
  assert.is(e.code, 'schema-invalid');
  const thrown = errorOf(() => r.decode('user.created', 1, { notName: 1 }));
  assert.is(thrown.code, 'schema-invalid');
  assert.is(thrown.data.failedAt, 1);
  assert.ok(thrown.cause instanceof TypeError);
});

test('an upcaster gets the old payload as an object it can spread; a payload that is not an object is schema-invalid', () => {
  const calls: unknown[] = [];
  const r = createMessageRegistry().define('quote', { version: 2, upcasters: { 1: (p) => { calls.push(p); return { ...p, currency: 'EUR' }; } } });
  assert.equal(r.decode('quote', 1, { sku: 'A1', cents: 500 }), { sku: 'A1', cents: 500, currency: 'EUR' });
  for (const bad of [null, 42, 'x', true]) {
    const e = errorOf(() => r.decode('quote', 1, bad));
    assert.is(e.code, 'schema-invalid', String(bad));
    assert.equal(e.data, { type: 'quote', version: 1, failedAt: 1 });
    assert.ok(/needs an object payload/.test(e.message), e.message);
  }
  assert.is(calls.length, 1, 'the upcaster never saw a non-object');
  assert.equal(r.decode('quote', 2, 42), 42, 'a current-version payload is not upcast (the validator alone judges it)');
});

test('define rejects duplicates and bad specs', () => {
  const r = registry();
  assert.is(errorOf(() => r.define('ping', { version: 1 })).code, 'duplicate-name');
  const bad: MessageTypeSpec[] = [
    { version: 0 }, { version: 1.5 }, { version: 2, upcasters: { 2: (p: unknown) => p } },
    { version: 2, upcasters: { 0: (p: unknown) => p } }, { version: 4, upcasters: { 1: (p: unknown) => p, 3: (p: unknown) => p } },
    { version: 2, upcasters: { 1: 'nope' as unknown as (p: unknown) => unknown } },
    { version: 1, validate: 'nope' as unknown as () => boolean },
  ];
  for (const spec of bad) assert.is(errorOf(() => createMessageRegistry().define('t', spec)).code, 'invalid-spec', JSON.stringify(spec));
  assert.is(errorOf(() => createMessageRegistry().define('', { version: 1 })).code, 'invalid-spec');
});

test('manifest lists each type with its version and oldest readable version, as JSON', () => {
  const m = registry().manifest();
  assert.equal(m, { types: { ping: { version: 1, minVersion: 1 }, 'user.created': { version: 3, minVersion: 1 } } });
  assert.equal(JSON.parse(JSON.stringify(m)), m);
  const odd = createMessageRegistry().define('__proto__', { version: 2, upcasters: { 1: (p) => p } }).manifest();
  assert.equal(Object.keys(odd.types), ['__proto__']);
  assert.is(Object.getPrototypeOf(odd.types), Object.prototype);
});

test.run();
