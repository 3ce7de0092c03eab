// The split-brain strategies as pure decisions, table-driven: which side of a partition survives.

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../../runtime/errors.ts';
import { decideKeepMajority } from '../../../../runtime/cluster/downing/keep-majority.ts';
import { decideKeepOldest } from '../../../../runtime/cluster/downing/keep-oldest.ts';
import { decideLease } from '../../../../runtime/cluster/downing/lease.ts';
import { decideStaticQuorum } from '../../../../runtime/cluster/downing/static-quorum.ts';
import type { DowningView } from '../../../../runtime/cluster/downing/view.ts';

/** `view('a', 'ab|cd')`: a's view with a, b reachable and c, d not; incarnations follow the letters (a oldest). */
function view(self: string, layout: string, incarnations: Record<string, number> = {}): DowningView {
  const [here, there = ''] = layout.split('|');
  const m = (node: string, reachable: boolean) => ({ node, incarnation: incarnations[node] ?? node.charCodeAt(0), reachable });
  return { self, members: [...[...here].map((n) => m(n, true)), ...[...there].map((n) => m(n, false))] };
}

test('keep-majority: the bigger side survives; a tie keeps the side with the lowest node id', () => {
  const table: [string, string, string][] = [
    ['a', 'abc', 'none'],
    ['a', 'abc|de', 'down-unreachable'],
    ['d', 'de|abc', 'down-reachable'],
    ['a', 'ab|cd', 'down-unreachable'],
    ['c', 'cd|ab', 'down-reachable'],
    ['b', 'b|a', 'down-reachable'],
    ['a', 'a|b', 'down-unreachable'],
    ['a', 'a|bc', 'down-reachable'],
  ];
  for (const [self, layout, want] of table) assert.is(decideKeepMajority(view(self, layout)), want, `${self} sees ${layout}`);
});

test('static-quorum: a side with quorumSize members survives, unless the other side could reach quorum too', () => {
  const table: [string, string, number, string][] = [
    ['a', 'ab|c', 2, 'down-unreachable'],
    ['c', 'c|ab', 2, 'down-reachable'],
    ['a', 'abc|de', 3, 'down-unreachable'],
    ['a', 'ab|cde', 3, 'down-reachable'],
    ['a', 'abc|def', 3, 'down-reachable'], // grew past 2 × quorum - 1: neither side is trusted
    ['a', 'abc', 2, 'none'],
  ];
  for (const [self, layout, q, want] of table) assert.is(decideStaticQuorum(view(self, layout), q), want, `${self} sees ${layout}, quorum ${q}`);
  for (const bad of [0, 1.5, NaN]) {
    try { decideStaticQuorum(view('a', 'ab|c'), bad); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument'), String(e)); }
  }
});

test('keep-oldest: the side with the lowest incarnation survives; an oldest member alone is downed instead', () => {
  const table: [string, string, boolean, string][] = [
    ['a', 'ab|cde', true, 'down-unreachable'], // a is the oldest
    ['c', 'cde|ab', true, 'down-reachable'],
    ['a', 'a|bcd', true, 'down-reachable'], // the oldest alone downs itself…
    ['b', 'bcd|a', true, 'down-unreachable'], // …and the others keep going
    ['a', 'a|bcd', false, 'down-unreachable'], // unless downIfAlone is off
    ['b', 'bcd|a', false, 'down-reachable'],
    ['a', 'a|b', true, 'down-unreachable'], // two nodes: the oldest is kept
    ['b', 'b|a', true, 'down-reachable'],
  ];
  for (const [self, layout, alone, want] of table) assert.is(decideKeepOldest(view(self, layout), alone), want, `${self} sees ${layout}, downIfAlone ${alone}`);
  assert.is(decideKeepOldest(view('d', 'de|abc', { d: 1 })), 'down-unreachable', 'age is the incarnation, not the name');
});

test('lease: the lowest node id of each side tries the lease; the others wait for its decision', () => {
  assert.is(decideLease(view('a', 'abc|de')), 'acquire-lease');
  assert.is(decideLease(view('b', 'abc|de')), 'wait');
  assert.is(decideLease(view('d', 'de|abc')), 'acquire-lease');
  assert.is(decideLease(view('a', 'abc')), 'none');
});

test.run();
