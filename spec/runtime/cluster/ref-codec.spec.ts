import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { ActorRef, defineActor } from '../../../runtime/index.ts';
import { REF_KEY, refsFromWire, refsToWire } from '../../../runtime/cluster/ref-codec.ts';
import { createTestSystem } from '../../../runtime/testing.ts';

const test = suite('ref-codec');

const kit = createTestSystem();
const a = kit.spawn(defineActor<{ type: 'x' }, undefined>({ init: () => undefined, receive: () => undefined }), 'a');
const addr = (r: ActorRef<unknown>) => String(r);

test('refs anywhere in plain objects and arrays are replaced by their address, copying only what changes', () => {
  const shared = { untouched: [1, 2, 3] };
  const msg = { type: 'listing', replyTo: a, refs: [a, { nested: a }], shared };
  const { value, found } = refsToWire(msg, addr);
  assert.ok(found);
  assert.equal(value, { type: 'listing', replyTo: { [REF_KEY]: String(a) }, refs: [{ [REF_KEY]: String(a) }, { nested: { [REF_KEY]: String(a) } }], shared });
  assert.ok((value as typeof msg).shared === shared, 'unchanged branches are shared, not copied');
  assert.ok(msg.replyTo === a, 'the original message is not modified');
});

test('a payload without refs comes back as the same object', () => {
  const msg = { type: 'plain', n: 1, list: [{ a: 'b' }] };
  const { value, found } = refsToWire(msg, addr);
  assert.not.ok(found);
  assert.ok(value === msg);
});

test('revival turns every wire ref back into a ref, and leaves look-alikes with more keys alone', () => {
  const wire = JSON.parse(JSON.stringify({ replyTo: { [REF_KEY]: 'troupe://s@n/user/a#1' }, list: [{ [REF_KEY]: 'troupe://s@n/user/b#2' }], fake: { [REF_KEY]: 'x', other: 1 } }));
  const seen: string[] = [];
  const revived = refsFromWire(wire, (s) => { seen.push(s); return a as ActorRef<unknown>; });
  assert.ok(revived.ok);
  const back = revived.value as Record<string, unknown>;
  assert.equal(seen, ['troupe://s@n/user/a#1', 'troupe://s@n/user/b#2']);
  assert.ok(back.replyTo === a);
  assert.ok((back.list as unknown[])[0] === a);
  assert.equal(back.fake, { [REF_KEY]: 'x', other: 1 });
});

test('revival is total: a ref that is not an address is reported, not thrown, and nothing after it is revived', () => {
  for (const [wire, address] of [
    [{ replyTo: { [REF_KEY]: 'garbage' } }, 'garbage'],
    [[{ [REF_KEY]: 'troupe://s@n/user/a#1' }, { deep: [{ [REF_KEY]: '' }] }, { [REF_KEY]: 'troupe://s@n/user/b#2' }], ''],
  ] as const) {
    const seen: string[] = [];
    const r = refsFromWire(JSON.parse(JSON.stringify(wire)), (s) => { seen.push(s); return s.startsWith('troupe://') ? a as ActorRef<unknown> : undefined; });
    assert.equal(r, { ok: false, address });
    assert.is(seen[seen.length - 1], address, 'revival stopped at the bad ref');
  }
});

test('revival walks own keys only: a `__proto__` key from JSON stays an own key and changes no prototype', () => {
  const wire = JSON.parse(`{"__proto__": {"${REF_KEY}": "troupe://s@n/user/a#1"}, "x": 1}`) as Record<string, unknown>;
  const r = refsFromWire(wire, () => a as ActorRef<unknown>);
  assert.ok(r.ok);
  const back = r.value as Record<string, unknown>;
  assert.ok(Object.getPrototypeOf(back) === Object.prototype);
  assert.ok(Object.getOwnPropertyDescriptor(back, '__proto__')?.value === a);
  assert.is(({} as Record<string, unknown>).x, undefined);
});

test.run();
