// Which operations get timed and what each timed one stands for, table-driven (no system).

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { MAX_EVERY, Sampler } from '../../../../runtime/observe/internal/sampler.ts';

/** The first `n` ticks as T/F, and the weight seen at each T. */
function run(s: Sampler, n: number, feed?: number): { ticks: string; weights: number[] } {
  let ticks = '';
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = s.tick();
    ticks += t ? 'T' : '.';
    if (t) { weights.push(s.weight); if (feed !== undefined) s.observed(feed); }
  }
  return { ticks, weights };
}

test('fixed: one in N, each standing for the N before it (the first for itself)', () => {
  assert.equal(run(new Sampler(1), 4), { ticks: 'TTTT', weights: [1, 1, 1, 1] });
  assert.equal(run(new Sampler(3), 7), { ticks: 'T..T..T', weights: [1, 3, 3] });
});

test('adaptive: slow operations are all timed, fast ones rarely, a clock standing still at the maximum spacing', () => {
  assert.equal(run(new Sampler(undefined), 5, 1).ticks, 'TTTTT', 'ops of 1 ms: timing is cheap beside them');
  const fast = run(new Sampler(undefined), 300, 0.001);
  assert.equal(fast.ticks.slice(0, 2), 'TT');
  assert.ok((fast.ticks.match(/T/g) ?? []).length <= 4, fast.ticks);
  assert.is(fast.weights[2], 125, '1 µs ops: one in 125 keeps timing near 0.2%');
  const still = run(new Sampler(undefined), MAX_EVERY + 2, 0);
  assert.equal(still.weights, [1, 1, MAX_EVERY], 'timed until the first duration is known, then one in MAX_EVERY');
});

test.run();
