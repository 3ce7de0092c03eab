// Specs of the seeded random source: reproducible sequences, bounds of int, length of bytes.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createSeededRandom } from '../../runtime/random.ts';

const test = suite('random');

const draw = (seed: number, n: number): number[] => {
  const r = createSeededRandom(seed);
  return Array.from({ length: n }, () => r.next());
};

for (const seed of [0, 1, 42, 0x7fffffff, 0xffffffff]) {
  test(`seed ${seed}: the same seed gives the same sequence of next, int and bytes`, () => {
    const a = createSeededRandom(seed), b = createSeededRandom(seed);
    assert.is(a.seed, seed);
    for (let i = 0; i < 100; i++) {
      assert.is(a.next(), b.next());
      assert.is(a.int(1000), b.int(1000));
      assert.equal([...a.bytes(7)], [...b.bytes(7)]);
    }
  });
}

test('different seeds give different sequences', () => {
  const seqs = [0, 1, 2, 3, 42, 1000].map((s) => draw(s, 8).join(','));
  assert.is(new Set(seqs).size, seqs.length);
});

test('next is a float in [0, 1) and spreads over the range', () => {
  const r = createSeededRandom(7);
  let low = 0, high = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1, `next() gave ${x}`);
    if (x < 0.1) low++;
    if (x >= 0.9) high++;
  }
  // about 1 000 each; a broken generator stuck in one region fails this
  assert.ok(low > 800 && high > 800, `low=${low} high=${high}`);
});

for (const max of [1, 2, 6, 1000, 2 ** 31]) {
  test(`int(${max}) stays in [0, ${max}) and is an integer`, () => {
    const r = createSeededRandom(max);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(max);
      assert.ok(Number.isInteger(v) && v >= 0 && v < max, `int(${max}) gave ${v}`);
      seen.add(v);
    }
    if (max <= 6) assert.is(seen.size, max, `every value of [0, ${max}) should appear in 2000 draws`);
  });
}

for (const n of [0, 1, 3, 4, 5, 16, 33]) {
  test(`bytes(${n}) returns ${n} bytes`, () => {
    const b = createSeededRandom(3).bytes(n);
    assert.instance(b, Uint8Array);
    assert.is(b.length, n);
  });
}

test('bytes are not all equal (the generator feeds every byte)', () => {
  const b = createSeededRandom(9).bytes(64);
  assert.ok(new Set(b).size > 16);
});

test.run();
