// Specs for the consistent hash ring and its murmur3 hash.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createHashRing, murmur3 } from '../../../runtime/cluster/hash-ring.ts';

const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}`);

function owners(ring: ReturnType<typeof createHashRing>): Map<string, string | undefined> {
  return new Map(keys.map((k) => [k, ring.lookup(k)]));
}

function shares(ring: ReturnType<typeof createHashRing>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) { const o = ring.lookup(k)!; counts.set(o, (counts.get(o) ?? 0) + 1); }
  return counts;
}

test('murmur3 matches the reference x86 32-bit vectors', () => {
  const rows: Array<[string, number, number]> = [
    ['', 0, 0],
    ['hello', 0, 0x248bfa47],
    ['test', 0, 0xba6bd213],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['Hello, world!', 1234, 0xfaf6cdb3],
  ];
  for (const [text, seed, expected] of rows) assert.is(murmur3(text, seed), expected, JSON.stringify(text));
});

test('an empty ring maps every key to undefined', () => {
  const ring = createHashRing();
  assert.is(ring.size, 0);
  assert.is(ring.lookup('anything'), undefined);
  ring.add('a');
  ring.remove('a');
  assert.is(ring.lookup('anything'), undefined);
});

test('the same key always maps to the same node, whatever the insertion order', () => {
  const a = createHashRing();
  const b = createHashRing();
  for (const id of ['n1', 'n2', 'n3', 'n4']) a.add(id);
  for (const id of ['n4', 'n2', 'n1', 'n3']) b.add(id);
  const first = owners(a);
  assert.equal(owners(a), first);
  assert.equal(owners(b), first);
  assert.is(a.size, 4);
  assert.equal(a.nodes(), ['n1', 'n2', 'n3', 'n4']);
});

test('removing a node moves only the keys that were on it', () => {
  const ring = createHashRing();
  for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) ring.add(id);
  const before = owners(ring);
  assert.ok(ring.remove('n3'));
  assert.not.ok(ring.has('n3'));
  assert.not.ok(ring.remove('n3'), 'removing twice reports absence');
  const after = owners(ring);
  let moved = 0;
  for (const k of keys) {
    if (before.get(k) === 'n3') { moved++; assert.is.not(after.get(k), 'n3'); } else assert.is(after.get(k), before.get(k), k);
  }
  assert.ok(moved > 0, 'n3 owned some keys');
});

test('adding a node takes keys only for itself', () => {
  const ring = createHashRing();
  for (const id of ['n1', 'n2', 'n3']) ring.add(id);
  const before = owners(ring);
  ring.add('n4');
  const after = owners(ring);
  for (const k of keys) if (after.get(k) !== before.get(k)) assert.is(after.get(k), 'n4', k);
});

test('distribution over 3 nodes with 100 virtual nodes stays within 20 %–47 % each', () => {
  for (const ids of [['a', 'b', 'c'], ['node-1', 'node-2', 'node-3'], ['10.0.0.1:4000', '10.0.0.2:4000', '10.0.0.3:4000']]) {
    const ring = createHashRing({ virtualNodes: 100 });
    for (const id of ids) ring.add(id);
    const counts = shares(ring);
    assert.is(counts.size, 3, `${ids}: every node owns keys`);
    for (const [id, n] of counts) assert.ok(n >= 200 && n <= 470, `${id} owns ${n / 10} % of the keys`);
  }
});

test('weight scales a node\u2019s share', () => {
  const ring = createHashRing();
  ring.add('light');
  ring.add('heavy', 3);
  const counts = shares(ring);
  assert.ok(counts.get('heavy')! > 2 * counts.get('light')!, `heavy ${counts.get('heavy')} vs light ${counts.get('light')}`);
  ring.add('heavy', 1);
  const even = shares(ring);
  assert.ok(even.get('heavy')! < 700, 're-adding with weight 1 re-weights the node');
});

test('invalid settings throw invalid-argument', () => {
  assert.throws(() => createHashRing({ virtualNodes: 0 }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  const ring = createHashRing();
  for (const w of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => ring.add('x', w), (e: unknown) => isTroupeError(e, 'invalid-argument'), String(w));
  }
  assert.is(ring.size, 0);
});

test.run();
