// The PostgreSQL stream backend against the shared log behaviour spec, on a real server, plus what
// only it has: two backends (two pools = two nodes) sharing one log, LISTEN across instances and
// across a dropped connection, retention edges, an unreachable or vanishing server.

import net from 'node:net';
import pg from 'pg';
import * as assert from 'uvu/assert';
import { createPgLogBackend } from '../../../actors/streams/pg-log.ts';
import type { LogBackend } from '../../../actors/streams/log-source.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSystem } from '../../../runtime/index.ts';
import { createEventBus } from '../../../actors/streams/event-bus.ts';
import { logSourceBehaviour, rec } from '../../helpers/log-source-behaviour.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { suite } from '../../helpers/uvu.ts';

const url = serviceUrl('postgres', 'pg stream log');

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(isTroupeError(e), `expected a TroupeError, got ${String(e)}`);
    assert.is(e.code, code, e.message);
    return e.data;
  }
  assert.unreachable(`expected a rejection with ${code}`);
  return {};
}

/** Resolves once `check` holds, polling; rejects naming `what` after `limitMs`. */
async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

if (url) {
  const run = `${process.pid}_${Date.now() % 1_000_000}`;
  let n = 0;
  const freshSchema = (): string => `troupe_log_spec_${run}_${++n}`;
  const dropSchema = async (schema: string): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
  };

  logSourceBehaviour('pg', async () => {
    const schema = freshSchema();
    let a = await createPgLogBackend({ connectionString: url, schema, name: 'pg-a' });
    const b = await createPgLogBackend({ connectionString: url, schema, name: 'pg-a' });
    return {
      get source() { return a.local; },
      peer: b.local,
      reopen: async () => { await a.close(); a = await createPgLogBackend({ connectionString: url, schema, name: 'pg-a' }); return a.local; },
      cleanup: async () => { await a.close(); await b.close(); await dropSchema(schema); },
    };
  });

  const t = suite<{ schema: string; open: LogBackend[] }>('pg stream log: PostgreSQL specifics', { schema: '', open: [] });
  t.before.each((ctx) => { ctx.schema = freshSchema(); ctx.open = []; });
  t.after.each(async (ctx) => {
    for (const b of ctx.open) await b.close();
    await dropSchema(ctx.schema);
  });
  const open = async (ctx: { schema: string; open: LogBackend[] }, name = 'pg'): Promise<LogBackend> => {
    const b = await createPgLogBackend({ connectionString: url, schema: ctx.schema, name });
    ctx.open.push(b);
    return b;
  };

  t('two nodes appending at once share one gap-free order per topic, and a tailing reader never skips a late commit', async (ctx) => {
    const [a, b, reader] = [await open(ctx, 'a'), await open(ctx, 'b'), await open(ctx, 'r')];
    const total = 200;
    const appends = Promise.all(Array.from({ length: total / 2 }, (_, i) => (i % 2 ? a : b).local.append('orders', [rec({ data: i }), rec({ data: i })])));
    const seen: number[] = [];
    let next = 1;
    while (next <= total) {
      const batch = await reader.local.read('orders', next, 50);
      for (const r of batch) {
        assert.is(r.offset, next, 'the reader sees every offset in order: nothing commits behind it');
        seen.push(r.offset);
        next += 1;
      }
      if (batch.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const offsets = await appends;
    assert.equal(offsets.flat().sort((x, y) => x - y), Array.from({ length: total }, (_, i) => i + 1));
    for (const o of offsets) assert.is(o[1], o[0] + 1, 'one append is contiguous');
    assert.equal(await a.local.head('orders'), { first: 1, last: total });
    assert.equal(await b.local.read('orders', total + 1, 10), []);
  });

  t('claim races between two nodes: exactly one owner per partition and generation; the loser\'s commit is stale', async (ctx) => {
    const [a, b] = [await open(ctx, 'a'), await open(ctx, 'b')];
    const parts = Array.from({ length: 8 }, (_, i) => i);
    const first = await Promise.all(parts.flatMap((p) => [a.local.claim('t', 'g', p, 'ma', 0), b.local.claim('t', 'g', p, 'mb', 0)]));
    for (const p of parts) {
      const [x, y] = [first[2 * p], first[2 * p + 1]];
      assert.equal(x, y, `partition ${p}: both see the one winner`);
      assert.is(x.generation, 1);
    }
    // Both re-claim from generation 1: again one winner, at generation 2.
    const second = await Promise.all([a.local.claim('t', 'g', 0, 'ma', 1), b.local.claim('t', 'g', 0, 'mb', 1)]);
    assert.equal(second[0], second[1]);
    assert.is(second[0].generation, 2);
    const winner = second[0].owner === 'ma' ? a : b;
    const loser = winner === a ? b : a;
    const data = await rejectsWith(loser.local.commit('t', 'g', 0, 5, 1), 'stale-generation');
    assert.equal(data, { topic: 't', consumer: 'g', partition: 0, generation: 1, current: 2 });
    await winner.local.commit('t', 'g', 0, 5, 2);
    assert.equal(await loser.local.cursor('t', 'g', 0), { offset: 5, generation: 2, owner: second[0].owner });
    await rejectsWith(a.local.commit('t', 'g', 3, 1, 0), 'stale-generation');
  });

  t('the event bus on two nodes over one schema: a durable subscriber on one node gets the other\'s events in order, and its position is stored', async (ctx) => {
    const [a, b] = [await open(ctx, 'a'), await open(ctx, 'b')];
    const [n1, n2] = [createSystem({ node: 'n1' }), createSystem({ node: 'n2' })];
    const [bus1, bus2] = [createEventBus(n1, { backend: a }), createEventBus(n2, { backend: b })];
    try {
      const seen: number[] = [];
      const sub = bus2.topic<{ n: number }>('orders').subscribe((e) => { seen.push(e.data.n); }, { id: 'audit' });
      for (let i = 1; i <= 5; i++) await bus1.topic<{ n: number }>('orders').publish({ n: i }, { key: 'one-key' }); // one key: one partition, one order
      await until(() => seen.length === 5, `node 2 hears node 1's events (heard ${seen})`);
      assert.equal(seen, [1, 2, 3, 4, 5]);
      const committed = async (): Promise<number> => {
        let max = 0;
        for (let p = 0; p < 8; p++) max = Math.max(max, (await a.local.cursor('orders', 'audit', p)).offset);
        return max;
      };
      await until(async () => (await committed()) === 5, 'the subscriber\'s position is committed past the last event');
      sub.detach();
    } finally {
      await bus1.close(); await bus2.close();
      await n1.terminate(); await n2.terminate();
    }
  });

  t('a commit with generation 0 on a never-claimed partition stores the offset (an ungrouped durable subscription)', async (ctx) => {
    const a = await open(ctx);
    await a.local.commit('t', 'solo', 0, 4, 0);
    await a.local.commit('t', 'solo', 0, 2, 0);
    assert.equal(await a.local.cursor('t', 'solo', 0), { offset: 4, generation: 0, owner: null });
    assert.equal(await a.local.claim('t', 'solo', 0, 'm', 0), { offset: 4, generation: 1, owner: 'm' });
    await rejectsWith(a.local.commit('t', 'solo', 0, 6, 0), 'stale-generation');
  });

  t('NOTIFY wakes a watcher on another node, also after its LISTEN connection was cut', async (ctx) => {
    const [a, b] = [await open(ctx, 'a'), await open(ctx, 'b')];
    const heard: number[] = [];
    const stop = b.local.watch('news', (last) => heard.push(last));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const listenerPids = async (): Promise<number[]> => (await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE query = $1", [`LISTEN "troupe_log_${ctx.schema}"`])).rows.map((r) => r.pid);
      await until(async () => (await listenerPids()).length === 1, 'b listens');
      const [o1] = await a.local.append('news', [rec()]);
      await until(() => heard.includes(o1), `b hears offset ${o1} (heard ${heard})`);

      const [pid] = await listenerPids();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const [o2] = await a.local.append('news', [rec()]); // may commit while nobody listens
      await until(() => heard.includes(o2), `b hears offset ${o2} after reconnecting (heard ${heard})`);
      await until(async () => (await listenerPids()).some((p) => p !== pid), 'b listens again');
      const [o3] = await a.local.append('news', [rec()]);
      await until(() => heard.includes(o3), `b hears offset ${o3} (heard ${heard})`);
      for (let i = 1; i < heard.length; i++) assert.ok(heard[i] > heard[i - 1], `told in increasing order, no repeats: ${heard}`);
      stop();
      await a.local.append('news', [rec()]);
      await b.local.append('news', [rec()]);
      assert.is(heard.at(-1), o3, 'a stopped watcher hears nothing more');
    } finally {
      await admin.end();
    }
  });

  t('retention: trimming everything keeps the last offset, new appends continue after it, reads skip trimmed ones', async (ctx) => {
    const a = await open(ctx);
    await a.local.append('r', [rec({ data: 'a'.repeat(10), publishedAtMs: 100 }), rec({ data: 'b'.repeat(10), publishedAtMs: 200 }), rec({ data: 'c'.repeat(10), publishedAtMs: 300 })]);
    assert.equal(await a.local.trim('r', {}, 1_000), { first: 1, last: 3 }, 'no limits: keep everything');
    assert.equal(await a.local.trim('r', { maxAgeMs: 750 }, 1_000), { first: 3, last: 3 }, 'older than 750 ms at 1 000 goes');
    assert.equal(await a.local.trim('r', { maxBytes: 5 }, 1_000), { first: 4, last: 3 }, 'a record larger than maxBytes goes too');
    await a.local.append('r', [rec({ publishedAtMs: 900 }), rec({ publishedAtMs: 100 }), rec({ publishedAtMs: 950 })]);
    assert.equal(await a.local.trim('r', { maxAgeMs: 50 }, 1_000), { first: 6, last: 6 }, 'by age the log is cut at the first young record: the rest stays contiguous');
    assert.equal(await a.local.trim('r', { maxAgeMs: 10 }, 1_000), { first: 7, last: 6 });
    assert.equal(await a.local.read('r', 1, 10), []);
    assert.equal(await a.local.append('r', [rec()]), [7], 'offsets are never reused');
    assert.equal(await a.local.trim('r', { maxCount: 0 }, 1_000), { first: 8, last: 7 });
  });

  t('bad input is invalid-argument and writes nothing; a bad schema name is refused; a borrowed pool stays open', async (ctx) => {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    try {
      const b = await createPgLogBackend({ pool, schema: ctx.schema });
      await rejectsWith(b.local.append('x', [rec(), rec({ id: '' })]), 'invalid-argument');
      await rejectsWith(b.local.append('x', [rec({ id: 'x'.repeat(1025) })]), 'invalid-argument');
      await rejectsWith(b.local.append('x', [rec({ id: 'nul\u0000' })]), 'invalid-argument');
      await rejectsWith(b.local.append('x', [rec({ partition: 1.5 })]), 'invalid-argument');
      await rejectsWith(b.local.append('x', [rec({ headers: { h: 1 as unknown as string } })]), 'invalid-argument');
      await rejectsWith(b.local.append('x', [rec({ data: () => 1 })]), 'schema-invalid');
      await rejectsWith(b.local.claim('x', 'g', 0, '', 0), 'invalid-argument');
      assert.is((await b.local.head('x')).last, 0, 'nothing of a refused append was written');
      await b.local.append('x', [rec()]);
      await b.close();
      assert.is((await pool.query(`SELECT count(*)::int AS n FROM "${ctx.schema}".stream_records`)).rows[0].n, 1);
      await rejectsWith(createPgLogBackend({ pool, schema: 'Robert"; DROP TABLE x;--' }), 'invalid-argument');
      await rejectsWith(createPgLogBackend({ schema: ctx.schema }), 'invalid-argument');
    } finally {
      await pool.end();
    }
  });

  t('an unreachable server is backend-unavailable, naming the fix', async () => {
    const dead = new URL(url);
    dead.hostname = '127.0.0.1';
    dead.port = '1';
    const data = await rejectsWith(createPgLogBackend({ connectionString: dead.toString() }), 'backend-unavailable');
    assert.is(data.backend, 'pg');
    const pool = new pg.Pool({ connectionString: dead.toString() });
    pool.on('error', () => undefined);
    try {
      await rejectsWith(createPgLogBackend({ pool }), 'backend-unavailable');
    } finally {
      await pool.end();
    }
  });

  t('a server that vanishes mid-life: appends reject backend-unavailable, nothing half-written, and work again once it is back', async (ctx) => {
    const target = new URL(url);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const via = new URL(url);
    via.hostname = '127.0.0.1';
    via.port = String(port);
    const direct = await open(ctx, 'direct');
    const b = await createPgLogBackend({ connectionString: via.toString(), schema: ctx.schema });
    try {
      await b.local.append('v', [rec({ id: 'before' })]);
      await new Promise<void>((r) => { proxy.close(() => r()); for (const s of sockets) s.destroy(); });
      const data = await rejectsWith(b.local.append('v', [rec({ id: 'during-1' }), rec({ id: 'during-2' })]), 'backend-unavailable');
      assert.is(data.backend, 'pg');
      await rejectsWith(b.local.read('v', 1, 10), 'backend-unavailable');
      assert.equal((await direct.local.read('v', 1, 10)).map((r) => r.id), ['before']);
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      assert.equal(await b.local.append('v', [rec({ id: 'after' })]), [2]);
    } finally {
      await b.close();
      await new Promise<void>((r) => { proxy.close(() => r()); for (const s of sockets) s.destroy(); });
    }
  });

  t.run();
}
