// The behaviour every stream log backend must show (memory, file, PostgreSQL, JetStream): one
// suite, run by each backend's spec with its own factory.

import * as assert from 'uvu/assert';
import { isTroupeError } from '../../runtime/errors.ts';
import type { LogSource, NewLogRecord } from '../../actors/streams/log-source.ts';
import { suite } from './uvu.ts';

/** What a backend's spec hands the behaviour suite for each test. */
export interface LogFixture {
  /** A fresh, empty log. */
  readonly source: LogSource;
  /** Another handle on the same data (another connection / process view), for shared backends. */
  readonly peer?: LogSource;
  /** Closes `source` and opens the same data again (durable backends). */
  readonly reopen?: () => Promise<LogSource>;
  /** Releases everything the fixture made. */
  cleanup(): Promise<void>;
}

let n = 0;
/** A record with a unique id; `over` replaces fields. */
export function rec(over: Partial<NewLogRecord> = {}): NewLogRecord {
  n += 1;
  return { id: `e-${n}-${Math.floor(Math.random() * 1e9)}`, partition: 0, type: 'thing', schemaVersion: 1, data: { n }, publishedAtMs: 1_000 + n, ...over };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(isTroupeError(e), `expected a TroupeError, got ${String(e)}`);
    assert.is((e as { code: string }).code, code, (e as Error).message);
    return (e as { data: Record<string, unknown> }).data;
  }
  throw new assert.Assertion({ message: `expected a rejection with ${code}`, operator: 'rejects', actual: 'resolved', expects: code, generated: true });
}

/** Runs the shared behaviour against `make`, under the suite title `name`. */
export function logSourceBehaviour(name: string, make: () => Promise<LogFixture>, limitMs = 30_000): void {
  const t = suite<{ f: LogFixture }>(`${name}: stream log behaviour`, { f: undefined as unknown as LogFixture }, { limitMs });
  t.before.each(async (ctx) => { ctx.f = await make(); });
  t.after.each(async (ctx) => { await ctx.f.cleanup(); });

  t('append resolves with increasing offsets; read returns every field as written, in offset order', async ({ f }) => {
    const when = new Date(Date.UTC(2026, 0, 2));
    const a = rec({ key: 'order-1', partition: 3, headers: { traceparent: '00-abc-def-01', 'correlation-id': 'c-1' }, data: { total: 5, when, big: 12n } });
    const b = rec({ data: ['x', null] });
    const offsets = await f.source.append('orders', [a, b]);
    assert.is(offsets.length, 2);
    assert.ok(offsets[0] >= 1 && offsets[1] > offsets[0], `offsets ${offsets}`);
    const read = await f.source.read('orders', 1, 10);
    assert.equal(read.map((r) => r.offset), offsets);
    const [ra, rb] = read;
    assert.is(ra.id, a.id); assert.is(ra.key, 'order-1'); assert.is(ra.partition, 3); assert.is(ra.type, 'thing');
    assert.is(ra.schemaVersion, 1); assert.is(ra.publishedAtMs, a.publishedAtMs); assert.is(ra.topic, 'orders');
    assert.is(ra.source, f.source.name);
    assert.equal(ra.headers, a.headers);
    const data = ra.data as { total: number; when: Date; big: bigint };
    assert.is(data.total, 5); assert.ok(data.when instanceof Date && data.when.getTime() === when.getTime(), 'a Date survives'); assert.is(data.big, 12n);
    assert.is(rb.key, undefined); assert.equal(rb.data, ['x', null]);
  });

  t('read honours fromOffset and maxCount; topics are separate logs', async ({ f }) => {
    const offs: number[] = [];
    for (let i = 0; i < 5; i++) offs.push(...await f.source.append('a', [rec({ data: i })]));
    await f.source.append('b', [rec({ data: 'other' })]);
    assert.equal((await f.source.read('a', offs[2], 2)).map((r) => r.data), [2, 3]);
    assert.equal((await f.source.read('a', offs[4] + 1, 10)), []);
    assert.equal((await f.source.read('b', 1, 10)).map((r) => r.data), ['other']);
    assert.equal(await f.source.read('never-written', 1, 10), []);
  });

  t('head: empty, then first/last offsets', async ({ f }) => {
    const empty = await f.source.head('h');
    assert.is(empty.last, 0);
    assert.ok(empty.first <= 1);
    const offs = await f.source.append('h', [rec(), rec(), rec()]);
    const h = await f.source.head('h');
    assert.is(h.last, offs[2]);
    assert.ok(h.first <= offs[0]);
  });

  t('concurrent appends all land, each once, and reading yields offset order', async ({ f }) => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => f.source.append('c', [rec({ data: i })])));
    const all = results.flat();
    assert.is(new Set(all).size, 60);
    const read = await f.source.read('c', 1, 1_000);
    assert.is(read.length, 60);
    for (let i = 1; i < read.length; i++) assert.ok(read[i].offset > read[i - 1].offset);
    assert.equal(new Set(read.map((r) => r.data)), new Set(Array.from({ length: 60 }, (_, i) => i)));
  });

  t('cursor: none stored, claim is compare-and-set on the generation, commit is fenced and never moves back', async ({ f }) => {
    const s = f.source;
    assert.equal(await s.cursor('t', 'g', 2), { offset: 0, generation: 0, owner: null });
    const a = await s.claim('t', 'g', 2, 'member-a', 0);
    assert.equal(a, { offset: 0, generation: 1, owner: 'member-a' });
    const lost = await s.claim('t', 'g', 2, 'member-b', 0);
    assert.equal(lost, a, 'a claim with an old generation changes nothing and shows the owner');
    await s.commit('t', 'g', 2, 7, 1);
    await s.commit('t', 'g', 2, 5, 1);
    assert.is((await s.cursor('t', 'g', 2)).offset, 7, 'never backwards');
    const b = await s.claim('t', 'g', 2, 'member-b', 1);
    assert.equal(b, { offset: 7, generation: 2, owner: 'member-b' });
    const data = await rejectsWith(s.commit('t', 'g', 2, 9, 1), 'stale-generation');
    assert.equal({ partition: data.partition, generation: data.generation, current: data.current }, { partition: 2, generation: 1, current: 2 });
    assert.is((await s.cursor('t', 'g', 2)).offset, 7, 'the zombie commit changed nothing');
    await s.release('t', 'g', 2, 1);
    assert.is((await s.cursor('t', 'g', 2)).owner, 'member-b', 'a release by an old generation is a no-op');
    await s.release('t', 'g', 2, 2);
    assert.equal(await s.cursor('t', 'g', 2), { offset: 7, generation: 2, owner: null });
    assert.equal(await s.cursor('t', 'g', 1), { offset: 0, generation: 0, owner: null }, 'partitions are separate');
    assert.equal(await s.cursor('t', 'other', 2), { offset: 0, generation: 0, owner: null }, 'consumers are separate');
  });

  t('two racing claims for the same generation: exactly one wins', async ({ f }) => {
    const other = f.peer ?? f.source;
    const [x, y] = await Promise.all([f.source.claim('r', 'g', 0, 'x', 0), other.claim('r', 'g', 0, 'y', 0)]);
    assert.is(x.generation, 1); assert.is(y.generation, 1);
    assert.is(x.owner, y.owner, 'both see the one winner');
    assert.ok(x.owner === 'x' || x.owner === 'y');
  });

  t('dead letters are kept durably, listed oldest first, and purged by id', async ({ f }) => {
    const [o1, o2, o3] = await f.source.append('d', [rec({ id: 'd1' }), rec({ id: 'd2' }), rec({ id: 'd3' })]);
    const read = await f.source.read('d', 1, 10);
    for (const [i, r] of read.entries()) await f.source.deadLetter('d', { record: r, consumer: 'billing', error: `boom ${i}`, attempts: 5, deadAtMs: 50 + i });
    const dl = await f.source.deadLetters('d', 'billing');
    assert.equal(dl.map((d) => [d.record.id, d.record.offset, d.error, d.attempts, d.consumer]), [['d1', o1, 'boom 0', 5, 'billing'], ['d2', o2, 'boom 1', 5, 'billing'], ['d3', o3, 'boom 2', 5, 'billing']]);
    assert.equal(await f.source.deadLetters('d', 'shipping'), []);
    assert.is(await f.source.purgeDeadLetters('d', 'billing', ['d2', 'nope']), 1);
    assert.equal((await f.source.deadLetters('d', 'billing')).map((d) => d.record.id), ['d1', 'd3']);
    assert.is(await f.source.purgeDeadLetters('d', 'billing', ['d2']), 0);
  });

  t('retention by count and by age moves the first readable offset; the rest stays readable', async ({ f }) => {
    const offs = (await Promise.all(Array.from({ length: 10 }, (_, i) => f.source.append('keep', [rec({ data: i, publishedAtMs: 10_000 + i * 1_000 })])))).flat().sort((a, b) => a - b);
    const byCount = await f.source.trim('keep', { maxCount: 6 }, 20_000);
    assert.is(byCount.first, offs[4]);
    assert.equal((await f.source.read('keep', 1, 100)).map((r) => r.offset), offs.slice(4));
    const byAge = await f.source.trim('keep', { maxAgeMs: 2_500 }, 19_000);
    assert.equal((await f.source.read('keep', 1, 100)).map((r) => r.offset), offs.slice(7), 'records older than 16 500 ms are gone');
    assert.is(byAge.last, offs[9]);
    await f.source.append('bytes', [rec({ data: 'x'.repeat(100) }), rec({ data: 'y'.repeat(100) }), rec({ data: 'z'.repeat(100) })]);
    await f.source.trim('bytes', { maxBytes: 250 }, 0);
    assert.equal((await f.source.read('bytes', 1, 10)).map((r) => (r.data as string)[0]), ['y', 'z']);
  });

  t('watch tells a listener of appends until it stops', async ({ f }) => {
    const seen: number[] = [];
    let wake: () => void = () => undefined;
    const stop = (f.peer ?? f.source).watch('w', (last) => { seen.push(last); wake(); });
    await new Promise((r) => setTimeout(r, 50));
    const arrived = new Promise<void>((r) => { wake = r; });
    const [o] = await f.source.append('w', [rec()]);
    await Promise.race([arrived, new Promise((_, rej) => setTimeout(() => rej(new Error('no watch notification within 5 s')), 5_000))]);
    assert.ok(seen.includes(o) || seen.some((x) => x >= o), `notified with ${seen}`);
    stop();
  });

  t('bad names and arguments are refused with invalid-argument and write nothing', async ({ f }) => {
    await rejectsWith(f.source.append('bad topic', [rec()]), 'invalid-argument');
    await rejectsWith(f.source.append('ok', []), 'invalid-argument');
    await rejectsWith(f.source.claim('ok', 'a b', 0, 'x', 0), 'invalid-argument');
    await rejectsWith(f.source.commit('ok', 'g', -1, 1, 1), 'invalid-argument');
    await rejectsWith(f.source.read('ok', -5, 10), 'invalid-argument');
    await rejectsWith(f.source.trim('ok', { maxCount: -1 }, 0), 'invalid-argument');
    assert.is((await f.source.head('ok')).last, 0);
  });

  t('after close, calls reject with journal-closed', async ({ f }) => {
    await f.source.close();
    await rejectsWith(f.source.append('x', [rec()]), 'journal-closed');
    await rejectsWith(f.source.read('x', 1, 1), 'journal-closed');
  });

  t('records, cursors and dead letters survive a reopen (durable backends)', async ({ f }) => {
    if (f.reopen === undefined) return;
    const [o] = await f.source.append('dur', [rec({ id: 'keep-me', key: 'k' })]);
    const g = await f.source.claim('dur', 'c', 0, 'm', 0);
    await f.source.commit('dur', 'c', 0, o, g.generation);
    const [r] = await f.source.read('dur', 1, 1);
    await f.source.deadLetter('dur', { record: r, consumer: 'c', error: 'x', attempts: 1, deadAtMs: 1 });
    const again = await f.reopen();
    assert.equal((await again.read('dur', 1, 10)).map((x) => [x.id, x.key, x.offset]), [['keep-me', 'k', o]]);
    assert.equal(await again.cursor('dur', 'c', 0), { offset: o, generation: 1, owner: 'm' });
    assert.equal((await again.deadLetters('dur', 'c')).map((d) => d.record.id), ['keep-me']);
  });

  t.run();
}
