// Specs of actor addresses: the text format, parse round trip, and errors on garbage.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, formatAddress, isTroupeError, parseAddress, type Address } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

const test = suite('address');

test('formatAddress writes troupe://<system>@<node><path>#<uid>', () => {
  assert.is(formatAddress({ system: 'shop', node: 'n1', path: '/user/orders', uid: 7 }), 'troupe://shop@n1/user/orders#7');
});

const roundTrips: Address[] = [
  { system: 'shop', node: 'n1', path: '/user/orders', uid: 7 },
  { system: 'troupe', node: 'local', path: '/user', uid: 0 },
  { system: 'a.b_c-d', node: 'host:4222', path: '/user/x/y/z', uid: 1073741823 },
  { system: 's', node: '10.0.0.1:9000', path: '/temp/ask-12', uid: 12 },
  { system: 's', node: 'n', path: '/user/$1/a.b:c-d', uid: 3 },
];
for (const a of roundTrips) {
  test(`parseAddress(formatAddress(a)) === a for ${formatAddress(a)}`, () => {
    assert.equal(parseAddress(formatAddress(a)), a);
  });
}

test('a live ref prints its address, and that text parses back to the same address', () => {
  const kit = createTestSystem();
  const ref = kit.spawn(defineActor({ init: () => undefined, receive: () => undefined }), 'orders');
  const text = String(ref);
  assert.match(text, /^troupe:\/\/troupe@local\/user\/orders#\d+$/);
  assert.is(JSON.stringify({ to: ref }), JSON.stringify({ to: text }));
  assert.equal(parseAddress(text), ref.address);
});

const garbage = [
  '',
  'troupe://',
  '/user/orders',
  'http://shop@n1/user/orders#7',
  'troupe://shop@n1/user/orders',
  'troupe://shop@n1/user/orders#',
  'troupe://shop@n1/user/orders#x7',
  'troupe://shop@n1/user/orders#-1',
  'troupe://shop@n1/user/orders#7 ',
  'troupe://shop/user/orders#7',
  'troupe://@n1/user/orders#7',
  'troupe://shop@/user/orders#7',
  'troupe://shop@n1user#7',
  'troupe://sh op@n1/user/orders#7',
  'troupe://shop@n1/user/ord ers#7',
  'troupe://shop@n1/user/orders#7#8',
  'x'.repeat(500),
];
for (const text of garbage) {
  test(`parseAddress rejects ${JSON.stringify(text.slice(0, 40))} with invalid-argument`, () => {
    let error: unknown;
    try { parseAddress(text); } catch (e) { error = e; }
    assert.ok(isTroupeError(error, 'invalid-argument'), `expected invalid-argument, got ${String(error)}`);
    assert.match((error as Error).message, /troupe:\/\/<system>@<node>\/<path>#<uid>/);
    // the echoed input is cut to 80 characters
    assert.ok((error as Error).message.length < 200);
  });
}

test.run();
