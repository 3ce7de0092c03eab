// The pure transitions of a routee's breaker: closed → open at N failures in a row (if the
// ejection cap allows) → half-open after the cool-down, one trial → closed or open; stale outcomes.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  admission, CLOSED, current, failed, mayOpen, sent, succeeded, tripped, type BreakerSettings, type RouteeBreaker,
} from '../../actors/internal/routee-breaker.ts';

const S: BreakerSettings = { failures: 3, openMs: 1_000, maxEjectedFraction: 0.5 };
const test = suite('routee breaker');

test('closed: failures in a row open it at the threshold; a success in between starts the count again', () => {
  let b: RouteeBreaker = CLOSED;
  b = failed(b, 0, S, 10, true);
  b = failed(b, 0, S, 20, true);
  assert.equal(b, { state: 'closed', epoch: 0, failures: 2 });
  b = succeeded(b, 0, 25);
  assert.equal(b, { state: 'closed', epoch: 0, failures: 0 });
  assert.is(succeeded(b, 0, 26), b, 'a success on a clean breaker changes nothing');
  for (let i = 0; i < 3; i++) b = failed(b, 0, S, 30 + i, true);
  assert.equal(b, { state: 'open', epoch: 1, retryAtMs: 1_032, reason: 'failures' });
  assert.is(admission(b, 1_031), 'open');
});

test('the ejection cap: at the threshold a breaker that may not open stays closed and asks again at the next failure', () => {
  let b: RouteeBreaker = CLOSED;
  for (let i = 0; i < 5; i++) b = failed(b, 0, S, i, false);
  assert.equal(b, { state: 'closed', epoch: 0, failures: 3 }, 'held at the threshold');
  assert.equal(failed(b, 0, S, 9, true), { state: 'open', epoch: 1, retryAtMs: 1_009, reason: 'failures' }, 'opens as soon as it may');
  assert.not.ok(mayOpen(1, 0, S), 'the last routee never');
  assert.ok(mayOpen(2, 0, S));
  assert.not.ok(mayOpen(2, 1, S), 'no more than half');
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (n, open) => {
    if (mayOpen(n, open, S)) assert.ok(open + 1 <= n / 2 && n - open - 1 >= 1);
  }));
});

test('after the cool-down: half-open, one trial at a time; its success closes, its failure opens for another cool-down', () => {
  const open: RouteeBreaker = { state: 'open', epoch: 1, retryAtMs: 1_000, reason: 'failures' };
  assert.equal(current(open, 999), open);
  assert.equal(current(open, 1_000), { state: 'half-open', epoch: 2, trial: false });
  assert.is(admission(open, 1_000), 'trial');
  const trial = sent(open, 1_000);
  assert.equal(trial, { state: 'half-open', epoch: 2, trial: true });
  assert.is(admission(trial, 1_001), 'open', 'a second ask waits for the trial');
  assert.equal(succeeded(trial, 2, 1_050), { state: 'closed', epoch: 3, failures: 0 });
  assert.equal(failed(trial, 2, S, 1_050, true), { state: 'open', epoch: 3, retryAtMs: 2_050, reason: 'failures' });
  assert.equal(failed(trial, 2, S, 1_050, false), { state: 'open', epoch: 3, retryAtMs: 2_050, reason: 'failures' }, 'reopening ejects no one new: the cap does not apply');
  assert.is(sent(CLOSED, 0), CLOSED, 'sending through a closed breaker changes nothing');
});

test('stale outcomes (an ask sent in an earlier state) are ignored; an open breaker ignores failures', () => {
  const open: RouteeBreaker = { state: 'open', epoch: 1, retryAtMs: 1_000, reason: 'failures' };
  assert.is(failed(open, 1, S, 500, true), open, 'more failures do not extend the cool-down');
  assert.is(succeeded(open, 0, 500), open, 'a late success of an ask from when it was closed');
  assert.is(failed(open, 0, S, 500, true), open);
  const trial = sent(open, 1_000);
  assert.is(failed(trial, 1, S, 1_010, true), trial, 'a late failure does not reopen a half-open breaker');
  assert.is(succeeded(trial, 1, 1_010), trial, 'nor does a late success close it');
});

test('a trip by recovery opens a closed breaker (if the cap allows) for the cool-down; one not closed is left alone', () => {
  assert.equal(tripped(CLOSED, S, 100, true), { state: 'open', epoch: 1, retryAtMs: 1_100, reason: 'recovery' });
  assert.is(tripped(CLOSED, S, 100, false), CLOSED);
  const open: RouteeBreaker = { state: 'open', epoch: 4, retryAtMs: 900, reason: 'failures' };
  assert.is(tripped(open, S, 100, true), open);
});

test('property: whatever the sequence, an open breaker admits nothing before its retry time and a half-open one one trial at a time', () => {
  type Step = { kind: 'ok' | 'fail' | 'send' | 'trip' | 'wait'; ms: number };
  const step = fc.record({ kind: fc.constantFrom<Step['kind']>('ok', 'fail', 'send', 'trip', 'wait'), ms: fc.integer({ min: 0, max: 700 }) });
  fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
    let b: RouteeBreaker = CLOSED;
    let now = 0;
    let inFlightEpoch = 0;
    for (const s of steps) {
      now += s.ms;
      if (s.kind === 'send') { if (admission(b, now) !== 'open') { b = sent(b, now); inFlightEpoch = b.epoch; } }
      else if (s.kind === 'ok') b = succeeded(b, inFlightEpoch, now);
      else if (s.kind === 'fail') b = failed(b, inFlightEpoch, S, now, true);
      else if (s.kind === 'trip') b = tripped(b, S, now, true);
      const c = current(b, now);
      if (c.state === 'open') assert.ok(now < c.retryAtMs && admission(b, now) === 'open');
      if (c.state === 'half-open' && c.trial) assert.is(admission(b, now), 'open');
      if (c.state === 'closed') assert.ok(c.failures < S.failures);
    }
  }));
});

test.run();
