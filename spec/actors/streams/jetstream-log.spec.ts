// Specs for the JetStream log backend against a real nats-server -js (TROUPE_NATS_URL): the shared
// log behaviour, then what is JetStream's own — two connections as two nodes, dedup, server limits, outages.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as assert from 'uvu/assert';
import { connect, type NatsConnection } from 'nats';
import { isTroupeError } from '../../../runtime/errors.ts';
import { secureRandomBytes } from '../../../runtime/real-clock.ts';
import { createJetStreamLogBackend, type JetStreamLogOptions } from '../../../actors/streams/jetstream-log.ts';
import type { LogBackend } from '../../../actors/streams/log-source.ts';
import { logSourceBehaviour, rec } from '../../helpers/log-source-behaviour.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { suite } from '../../helpers/uvu.ts';

const url = serviceUrl('nats', 'jetstream log');
const run = Buffer.from(secureRandomBytes(4)).toString('hex');
let fixtures = 0;
/** A prefix no other run or fixture uses, so every log starts empty. */
const freshPrefix = (): string => `tjs${run}x${++fixtures}`;

/** Deletes every stream (topics, dead letters, the KV bucket's) made under `prefix`. */
async function dropPrefix(servers: string, prefix: string): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await nc.jetstreamManager();
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}-`) || name === `KV_${prefix}-cursors`) doomed.push(name);
    await Promise.all(doomed.map((n) => jsm.streams.delete(n)));
  } finally {
    await nc.close();
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error> {
  try { await p; } catch (e) {
    assert.ok(isTroupeError(e, code as never), `expected ${code}, got ${String(e)}`);
    return e as Error;
  }
  throw new Error(`expected a rejection with ${code}, but it resolved`);
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

if (url) {
  logSourceBehaviour('jetstream', async () => {
    const prefix = freshPrefix();
    const open = (): Promise<LogBackend> => createJetStreamLogBackend({ servers: url, prefix });
    let a = await open();
    const b = await open();
    return {
      get source() { return a.local; },
      peer: b.local,
      reopen: async () => { await a.close(); a = await open(); return a.local; },
      cleanup: async () => { await Promise.all([a.close(), b.close()]); await dropPrefix(url, prefix); },
    };
  });

  const t = suite<{ prefix: string; made: LogBackend[]; make: (o?: Partial<JetStreamLogOptions>) => Promise<LogBackend> }>('jetstream log: JetStream specifics', {
    prefix: '', made: [], make: undefined as never,
  });
  t.before.each((ctx) => {
    ctx.prefix = freshPrefix();
    ctx.made = [];
    ctx.make = async (o = {}) => {
      const b = await createJetStreamLogBackend({ servers: url, prefix: ctx.prefix, ...o });
      ctx.made.push(b);
      return b;
    };
  });
  t.after.each(async (ctx) => {
    await Promise.all(ctx.made.map((b) => b.close()));
    await dropPrefix(url, ctx.prefix);
  });

  t('two nodes appending to one topic see one order, with the offsets each was given', async ({ make }) => {
    const [n1, n2] = [await make({ name: 'shared' }), await make({ name: 'shared' })];
    const given = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? n1 : n2).local.append('orders', [rec({ data: i }), rec({ data: i + 100 })])));
    for (const [o1, o2] of given) assert.ok(o2 > o1, 'a batch keeps its order');
    const r1 = await n1.local.read('orders', 1, 1_000);
    const r2 = await n2.local.read('orders', 1, 1_000);
    assert.is(r1.length, 80);
    assert.equal(r1.map((r) => [r.offset, r.id]), r2.map((r) => [r.offset, r.id]), 'both nodes read the same log');
    const byOffset = new Map(r1.map((r) => [r.offset, r.data]));
    given.forEach(([o1, o2], i) => { assert.is(byOffset.get(o1), i); assert.is(byOffset.get(o2), i + 100); });
  });

  t('a claim race among several nodes has exactly one winner; the losers\' commits are stale', async ({ make }) => {
    const nodes = await Promise.all([make(), make(), make()]);
    const results = await Promise.all(nodes.flatMap((n, i) => [0, 1].map((j) => n.local.claim('t', 'group', 3, `m${i}-${j}`, 0))));
    const owners = new Set(results.map((r) => r.owner));
    assert.is(owners.size, 1, `one winner, got ${[...owners]}`);
    assert.ok(results.every((r) => r.generation === 1));
    const winner = [...owners][0]!;
    const taken = await nodes[1].local.claim('t', 'group', 3, 'late', 1);
    assert.equal(taken, { offset: 0, generation: 2, owner: 'late' });
    const e = await rejectsWith(nodes[0].local.commit('t', 'group', 3, 10, 1), 'stale-generation');
    assert.match(e.message, /generation 2/);
    assert.is((await nodes[2].local.cursor('t', 'group', 3)).offset, 0, `the fenced commit of ${winner} changed nothing`);
  });

  t('watch on one node fires for an append on another; stop ends it; foreign notices are ignored', async ({ make, prefix }) => {
    const [n1, n2] = [await make(), await make()];
    const seen: number[] = [];
    let wake: () => void = () => undefined;
    const stop = n1.local.watch('w', (last) => { seen.push(last); wake(); });
    // A subscription is live once the server has seen it: a round trip on n1's connection is that.
    await n1.local.head('w');
    const nc = await connect({ servers: url });
    nc.publish(`${prefix}.n.w`, 'not a number');
    await nc.flush();
    await nc.close();
    const heard = new Promise<void>((r) => { wake = r; });
    const [o] = await n2.local.append('w', [rec()]);
    await heard;
    assert.equal(seen, [o]);
    stop();
    await n2.local.append('w', [rec()]);
    await n1.local.head('w');
    assert.equal(seen, [o]);
  });

  t('long reads (ordered consumer) and short reads (direct gets) agree, from any offset, after a trim', async ({ make }) => {
    const n = await make();
    for (let i = 0; i < 4; i++) await n.local.append('long', Array.from({ length: 50 }, (_, j) => rec({ data: i * 50 + j })));
    await n.local.trim('long', { maxCount: 180 }, 0);
    const long = await n.local.read('long', 1, 500);
    assert.equal(long.map((r) => r.data), Array.from({ length: 180 }, (_, i) => i + 20));
    const short: unknown[] = [];
    for (let from = 1, page = await n.local.read('long', from, 40); page.length > 0; from = page[page.length - 1].offset + 1, page = await n.local.read('long', from, 40)) {
      short.push(...page.map((r) => r.data));
    }
    assert.equal(short, long.map((r) => r.data));
    assert.equal((await n.local.read('long', 57, 100)).map((r) => r.offset), Array.from({ length: 100 }, (_, i) => 57 + i));
    assert.equal((await n.local.read('long', 150, 100)).map((r) => r.offset), Array.from({ length: 51 }, (_, i) => 150 + i));
  });

  t('retrying an append with the same ids stores nothing twice and returns the original offsets', async ({ make }) => {
    const n = await make();
    const batch = [rec({ id: 'same-1' }), rec({ id: 'same\n2 (not header-safe)' })];
    const first = await n.local.append('dedup', batch);
    const again = await n.local.append('dedup', batch);
    assert.equal(again, first);
    assert.equal((await n.local.read('dedup', 1, 10)).map((r) => r.id), batch.map((r) => r.id));
  });

  t('trim stores count and age as server limits: later appends stay within the count without another trim', async ({ make }) => {
    const n = await make();
    for (let i = 0; i < 5; i++) await n.local.append('lim', [rec({ data: i })]);
    assert.equal(await n.local.trim('lim', { maxCount: 3 }, 0), { first: 3, last: 5 });
    for (let i = 5; i < 8; i++) await n.local.append('lim', [rec({ data: i })]);
    assert.equal((await n.local.read('lim', 1, 100)).map((r) => r.data), [5, 6, 7]);
    assert.equal(await n.local.trim('lim', {}, 0), { first: 6, last: 8 }, 'an empty retention lifts the limits');
    await n.local.append('lim', [rec({ data: 8 })]);
    assert.is((await n.local.read('lim', 1, 100)).length, 4);
  });

  t('with serverLimits false, trim applies once and appends afterwards are kept', async ({ make }) => {
    const n = await make({ serverLimits: false });
    for (let i = 0; i < 5; i++) await n.local.append('once', [rec({ data: i })]);
    assert.equal(await n.local.trim('once', { maxCount: 2, maxAgeMs: 1 }, 0), { first: 4, last: 5 });
    await n.local.append('once', [rec({ data: 5 }), rec({ data: 6 })]);
    assert.equal((await n.local.read('once', 1, 100)).map((r) => r.data), [3, 4, 5, 6]);
  });

  t('a message that is not a Troupe record is a corrupt-record error naming its offset, not a crash', async ({ make, prefix }) => {
    const n = await make();
    await n.local.append('dirty', [rec()]);
    const nc = await connect({ servers: url });
    await nc.jetstream().publish(`${prefix}.t.dirty`, Buffer.from('garbage'));
    await nc.close();
    const e = await rejectsWith(n.local.read('dirty', 1, 10), 'corrupt-record');
    assert.match(e.message, /Offset 2/);
    assert.is((await n.local.read('dirty', 1, 1)).length, 1, 'records before it still read');
  });

  t('a borrowed connection stays open after close; calls then reject with journal-closed', async () => {
    const nc: NatsConnection = await connect({ servers: url });
    const prefix = freshPrefix();
    try {
      const b = await createJetStreamLogBackend({ connection: nc, prefix });
      await b.local.append('x', [rec()]);
      await b.close();
      await b.close();
      assert.not.ok(nc.isClosed());
      await rejectsWith(b.local.head('x'), 'journal-closed');
    } finally {
      await nc.close();
      await dropPrefix(url, prefix);
    }
  });

  t('an unreachable server is backend-unavailable, quickly, naming the fix', async () => {
    const port = await closedPort();
    const e = await rejectsWith(createJetStreamLogBackend({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1_000 }), 'backend-unavailable');
    assert.match(e.message, /nats-server with -js/);
  });

  t('a server without JetStream is backend-unavailable naming -js', async () => {
    const port = await closedPort();
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      let nc: NatsConnection | undefined;
      for (let i = 0; i < 100 && !nc; i++) {
        try { nc = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 1_000 }); } catch { await new Promise((r) => setTimeout(r, 50)); }
      }
      assert.ok(nc, 'the plain nats-server came up');
      try {
        const e = await rejectsWith(createJetStreamLogBackend({ connection: nc!, requestTimeoutMs: 2_000 }), 'backend-unavailable');
        assert.match(e.message, /-js/);
      } finally {
        await nc!.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });

  t('a malformed dead letter is refused with invalid-argument and stores nothing', async ({ make }) => {
    const n = await make();
    await rejectsWith(n.local.deadLetter('d', { consumer: 'c', error: 'x', attempts: 1, deadAtMs: 0 } as never), 'invalid-argument');
    assert.equal(await n.local.deadLetters('d', 'c'), []);
  });

  t('bad options are refused before connecting', async () => {
    await rejectsWith(createJetStreamLogBackend({ servers: url, prefix: 'a.b' }), 'invalid-argument');
    await rejectsWith(createJetStreamLogBackend({ servers: url, replicas: 0 }), 'invalid-argument');
    await rejectsWith(createJetStreamLogBackend({}), 'invalid-argument');
  });

  t.run();
}
