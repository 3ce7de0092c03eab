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
  const back = refsFromWire(wire, (s) => { seen.push(s); return a as ActorRef<unknown>; }) as Record<string, unknown>;
  assert.equal(seen, ['troupe://s@n/user/a#1', 'troupe://s@n/user/b#2']);
  assert.ok(back.replyTo === a);
  assert.ok((back.list as unknown[])[0] === a);
  assert.equal(back.fake, { [REF_KEY]: 'x', other: 1 });
});

test.run();
