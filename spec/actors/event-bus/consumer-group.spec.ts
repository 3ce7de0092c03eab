import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { addMember, hashString, pickMember, type ConsumerGroup } from '../../../actors/event-bus/consumer-group.ts';
import type { DeliveryChannel } from '../../../actors/event-bus/delivery.ts';

/** Just the fields pickMember reads. */
function member(id: string, o: { up?: boolean; durable?: boolean; full?: boolean } = {}): DeliveryChannel {
  return { reg: { id, durable: o.durable ?? false }, endpoint: o.up === false ? null : {}, full: o.full ?? false } as unknown as DeliveryChannel;
}

function group(...members: DeliveryChannel[]): ConsumerGroup {
  const g: ConsumerGroup = { members: [], next: 0 };
  for (const m of members) addMember(g, m);
  return g;
}

const ids = (ms: (DeliveryChannel | undefined)[]) => ms.map((m) => m?.reg.id);

test('members are kept in id order, so every node ranks them alike', () => {
  assert.equal(ids(group(member('c'), member('a'), member('b')).members), ['a', 'b', 'c']);
});

test('round-robin without a key, skipping a member whose buffer is full', () => {
  const g = group(member('a'), member('b'), member('c'));
  assert.equal(ids([1, 2, 3, 4].map(() => pickMember(g, undefined))), ['a', 'b', 'c', 'a']);
  const h = group(member('a'), member('b', { full: true }), member('c'));
  assert.equal(ids([1, 2, 3, 4].map(() => pickMember(h, undefined))), ['a', 'c', 'a', 'c']);
});

test('a key always picks the same member; removing another member does not move it', () => {
  const all = [member('m1'), member('m2'), member('m3'), member('m4')];
  const g = group(...all);
  const keys = Array.from({ length: 200 }, (_, i) => `order-${i}`);
  const before = new Map(keys.map((k) => [k, pickMember(g, k)!.reg.id]));
  assert.equal(keys.map((k) => pickMember(g, k)!.reg.id), keys.map((k) => before.get(k)), 'stable');
  const counts = new Map<string, number>();
  for (const v of before.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.ok([...counts.values()].every((c) => c >= 25), `spread: ${[...counts.values()]}`);
  const without = group(all[0], all[1], all[3]);
  for (const k of keys) if (before.get(k) !== 'm3') assert.is(pickMember(without, k)!.reg.id, before.get(k), `${k} stays put`);
});

test('members that are down are skipped; when all are down, durable ones keep the event; none: undefined', () => {
  assert.equal(ids([pickMember(group(member('a', { up: false }), member('b')), 'k')]), ['b']);
  assert.equal(ids([pickMember(group(member('a', { up: false }), member('b', { up: false, durable: true })), undefined)]), ['b']);
  assert.is(pickMember(group(member('a', { up: false })), 'k'), undefined);
});

test('hashString is pinned: every node (and every version) must pick the same member for a key', () => {
  assert.equal([hashString(''), hashString('abc'), hashString('order-1|m1')], [0, 3017643002, 2856706430]);
  assert.is.not(hashString('order-1|m1'), hashString('order-1|m2'));
});

test.run();
