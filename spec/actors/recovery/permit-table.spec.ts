// The owner's table of the cluster-wide recovery budget, pure: reports release, refresh and adopt
// leases; the queue is first come first served; grants never pass the budget; holders drop out;
// leases expire; the owner is the oldest reachable coordinator.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  answerFor, applyReport, chooseOwner, dropHolder, EMPTY_TABLE, expire, grant, nextExpiry, type PermitReport, type PermitTable,
} from '../../../actors/recovery/internal/permit-table.ts';

const test = suite('permit table');

const want = (holder: string, ids: string[], node = holder): PermitReport => ({ holder, node, held: [], wanted: ids.map((id) => ({ id, service: `s-${id}`, ttlMs: 1_000 })) });

test('first come first served: wanted permits queue in report order and are granted up to the budget', () => {
  let t = applyReport(EMPTY_TABLE, want('A', ['a1', 'a2']), 0).table;
  t = applyReport(t, want('B', ['b1']), 0).table;
  const g = grant(t, 2, 10);
  assert.equal(g.granted.map((l) => [l.id, l.holder, l.expiresAtMs]), [['a1', 'A', 1_010], ['a2', 'A', 1_010]]);
  assert.equal(g.table.queue.map((q) => q.id), ['b1']);
  assert.equal(answerFor(g.table, 'A', ['a1', 'a2']), { granted: ['a1', 'a2'], queued: [], taken: [] });
  assert.equal(answerFor(g.table, 'B', ['b1']), { granted: [], queued: ['b1'], taken: [] });
  assert.equal(grant(g.table, 2, 20).granted, [], 'the budget is in use');
});

test('a report releases what its holder neither holds nor wants, keeps a grant it has not heard of yet, and refreshes what it holds', () => {
  const t = grant(applyReport(EMPTY_TABLE, want('A', ['a1', 'a2', 'a3']), 0).table, 3, 0).table;
  // a1: started (held, 400 ms left); a2: granted, the holder's report crossed the grant (still wanted); a3: dropped
  const r = applyReport(t, { holder: 'A', node: 'A', held: [{ id: 'a1', service: 's', remainingMs: 400 }], wanted: [{ id: 'a2', service: 's', ttlMs: 1_000 }] }, 100);
  assert.equal(r.table.leases.map((l) => [l.id, l.expiresAtMs]), [['a1', 500], ['a2', 1_000]]);
  assert.is(r.adopted, 0);
  const later = applyReport(r.table, { holder: 'A', node: 'A', held: [], wanted: [] }, 200);
  assert.equal(later.table, { leases: [], queue: [] }, 'a report with nothing releases everything of that holder');
});

test('a report holding permits the table lacks adopts them (granted by an earlier owner), even past the budget', () => {
  let t: PermitTable = grant(applyReport(EMPTY_TABLE, want('A', ['a1', 'a2']), 0).table, 2, 0).table;
  const r = applyReport(t, { holder: 'B', node: 'nb', held: [{ id: 'b1', service: 's', remainingMs: 700 }], wanted: [{ id: 'b2', service: 's', ttlMs: 1_000 }] }, 50);
  assert.is(r.adopted, 1);
  t = r.table;
  assert.equal(t.leases.map((l) => `${l.id}@${l.node}`), ['a1@A', 'a2@A', 'b1@nb'], 'three in use with a budget of two');
  assert.equal(grant(t, 2, 60).granted, [], 'nothing more is granted until they are back under the budget');
  assert.equal(applyReport(t, { holder: 'B', node: 'nb', held: [{ id: 'b1', service: 's', remainingMs: 600 }], wanted: [] }, 60).adopted, 0, 'known the second time');
});

test('an instance wanted by two holders: one gets the permit, the other is told who holds it', () => {
  let t = applyReport(EMPTY_TABLE, want('A', ['x'], 'na'), 0).table;
  t = applyReport(t, want('B', ['x'], 'nb'), 1).table;
  assert.equal(t.queue.map((q) => q.holder), ['A', 'B'], 'both wait until one is granted');
  t = grant(t, 5, 2).table;
  assert.equal(t.leases.map((l) => l.holder), ['A']);
  assert.equal(t.queue, [], 'the second entry for a leased instance leaves the queue');
  assert.equal(answerFor(t, 'B', ['x']), { granted: [], queued: [], taken: [{ id: 'x', by: 'na' }] });
  t = applyReport(t, want('B', ['x'], 'nb'), 3).table;
  assert.equal(t.queue, [], 'wanting it again does not queue it while another holds it');
  assert.equal(answerFor(t, 'A', ['x']).taken, [], 'its own lease is not taken');
});

test('dropping a holder frees its leases and its place; leases expire; nextExpiry', () => {
  let t = grant(applyReport(EMPTY_TABLE, want('A', ['a1']), 0).table, 1, 0).table;
  t = applyReport(t, want('B', ['b1']), 0).table;
  assert.is(nextExpiry(t), 1_000);
  assert.is(nextExpiry(EMPTY_TABLE), undefined);
  const two = applyReport(t, { holder: 'C', node: 'C', held: [{ id: 'c1', service: 's', remainingMs: 2_000 }, { id: 'c2', service: 's', remainingMs: 500 }], wanted: [] }, 0).table;
  assert.is(nextExpiry(two), 500, 'the earliest of the leases');
  assert.is(expire(t, 999), t, 'nothing expired: the same table');
  assert.equal(expire(t, 1_000).leases, []);
  const d = dropHolder(t, 'A');
  assert.equal([d.leases, d.queue.map((q) => q.id)], [[], ['b1']]);
  assert.equal(grant(d, 1, 5).granted.map((l) => l.id), ['b1']);
  assert.equal(dropHolder(t, 'B').queue, []);
});

test('property: whatever the reports, grants never take the leases in use past the budget, and each instance is leased once', () => {
  const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
  const step = fc.record({ holder: fc.constantFrom('A', 'B', 'C'), wanted: fc.subarray(ids), drop: fc.boolean(), budget: fc.integer({ min: 1, max: 4 }) });
  fc.assert(fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
    let t = EMPTY_TABLE;
    let now = 0;
    for (const s of steps) {
      now += 10;
      t = s.drop ? dropHolder(t, s.holder) : applyReport(t, { holder: s.holder, node: s.holder, held: [], wanted: s.wanted.map((id) => ({ id, service: 's', ttlMs: 50 })) }, now).table;
      const before = expire(t, now).leases.length;
      const g = grant(expire(t, now), s.budget, now);
      t = g.table;
      if (g.granted.length > 0) assert.ok(t.leases.length <= s.budget, `${t.leases.length} leases with a budget of ${s.budget}`);
      assert.ok(t.leases.length <= Math.max(before, s.budget));
      assert.is(new Set(t.leases.map((l) => l.id)).size, t.leases.length, 'no instance leased twice (no adoption here)');
    }
  }));
});

test('the owner: the oldest up and reachable coordinator (lowest incarnation, then name)', () => {
  const c = (node: string, incarnation: number, up = true, reachable = true) => ({ node, address: `@${node}`, incarnation, up, reachable });
  assert.is(chooseOwner([c('b', 5), c('a', 7), c('c', 3)])?.node, 'c');
  assert.is(chooseOwner([c('b', 3), c('a', 3)])?.node, 'a');
  assert.is(chooseOwner([c('c', 3, false), c('a', 7), c('b', 5, true, false)])?.node, 'a', 'not a member that is not up, nor one this node cannot reach');
  assert.is(chooseOwner([]), undefined);
});

test.run();
