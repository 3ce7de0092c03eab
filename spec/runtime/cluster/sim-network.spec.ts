// Specs for the simulated network on virtual time: FIFO per link, seeded loss/duplication/reorder,
// partitions, kills, stop, the modelled cluster secret; then the shared transport behaviour spec.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createVirtualScheduler } from '../../../runtime/virtual-clock.ts';
import { createSimNetwork, type LinkConditions, type SimNetwork, type SimTransportOptions } from '../../../runtime/cluster/sim-network.ts';
import type { Transport, TransportEvents } from '../../../runtime/cluster/transport.ts';
import { transportContract, type TransportHarness } from '../../helpers/transport-contract.ts';
import { createVirtualSettle } from '../../helpers/virtual-settle.ts';

interface SimNode { id: string; transport: Transport; events: string[]; frames: Array<{ from: string; text: string; at: number }> }

/** A network on a fresh virtual scheduler plus helpers to start nodes and run time. */
function setup(seed = 1, defaults?: Partial<LinkConditions>) {
  const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
  const net: SimNetwork = createSimNetwork({ scheduler, random: createSeededRandom(seed), defaults });
  const nonces = createSeededRandom(seed + 1000);
  const log: string[] = [];
  const start = async (id: string, options?: SimTransportOptions): Promise<SimNode> => {
    const transport = net.transport(options);
    const node: SimNode = { id, transport, events: [], frames: [] };
    const events: TransportEvents = {
      frame: (peer, bytes) => {
        const text = bytes.toString('utf8');
        node.frames.push({ from: peer, text, at: scheduler.clock.now() });
        log.push(`${scheduler.clock.now().toFixed(6)} ${peer}->${id} ${text}`);
      },
      linkUp: (peer) => node.events.push(`up ${peer}`),
      linkDown: (peer, _e, reason) => node.events.push(`down ${peer} ${reason}`),
      rejected: (remote, reason) => node.events.push(`rejected ${remote} ${reason}`),
    };
    const endpoint = await transport.start({ nodeId: id, system: 'shop', scheduler, nonceBytes: (n) => nonces.bytes(n), events });
    assert.is(endpoint, id);
    return node;
  };
  /** Fires every timer due until `untilMs` (or until nothing is pending); bounded. */
  const run = (untilMs = Number.POSITIVE_INFINITY): void => {
    for (let i = 0; i < 1_000_000; i++) {
      const next = scheduler.nextDeadline();
      if (next === undefined || next > untilMs) { if (Number.isFinite(untilMs)) scheduler.setNow(untilMs); return; }
      scheduler.fireNextDue(next);
    }
    throw new Error('network did not go quiet within 1e6 timer firings');
  };
  const send = (from: SimNode, to: string, text: string): boolean => from.transport.send(to, Buffer.from(text));
  return { scheduler, net, start, run, send, log };
}

const seqs = (node: SimNode, from: string): number[] => node.frames.filter((f) => f.from === from).map((f) => Number(f.text.split(':')[1]));
const isNonDecreasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

test('frames arrive in send order per sender→receiver pair, even with heavy jitter', async () => {
  const s = setup(11, { latencyMs: 5, jitterMs: 40 });
  const [a, b, c] = [await s.start('a'), await s.start('b'), await s.start('c')];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 10; i++) {
      const n = round * 10 + i;
      assert.ok(s.send(a, 'c', `a:${n}`));
      assert.ok(s.send(b, 'c', `b:${n}`));
      assert.ok(s.send(c, 'a', `c:${n}`));
    }
    s.run(s.scheduler.clock.now() + 7); // some frames land mid-burst, others are still in flight
  }
  s.run();
  const expected = Array.from({ length: 200 }, (_, i) => i);
  assert.equal(seqs(c, 'a'), expected);
  assert.equal(seqs(c, 'b'), expected);
  assert.equal(seqs(a, 'c'), expected);
  // Jitter did spread the arrivals: frames of one burst did not all land at one instant.
  assert.ok(new Set(c.frames.map((f) => f.at)).size > 40);
  assert.equal(s.net.stats(), { sent: 600, delivered: 600, dropped: 0, duplicated: 0 });
});

test('a link comes up once on both sides, also when both nodes connect at the same time', async () => {
  const s = setup(2);
  s.net.setLink('a', 'b', { latencyMs: 1 });
  s.net.setLink('b', 'a', { latencyMs: 9 });
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:0');
  s.send(b, 'a', 'b:0');
  s.run();
  s.send(a, 'b', 'a:1');
  s.send(b, 'a', 'b:1');
  s.run();
  assert.equal(a.events, ['up b']);
  assert.equal(b.events, ['up a']);
  assert.equal(seqs(b, 'a'), [0, 1]);
  assert.equal(seqs(a, 'b'), [0, 1]);
});

test('loss, duplication and reordering happen at roughly the configured rates', async () => {
  const s = setup(5, { latencyMs: 2, jitterMs: 4, loss: 0.2, duplicate: 0.1, reorder: 0.25 });
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:-1');
  s.run(); // the link is up; from here every frame rolls the dice
  const before = s.net.stats();
  const n = 4000;
  for (let i = 0; i < n; i++) { s.send(a, 'b', `a:${i}`); if (i % 50 === 49) s.run(s.scheduler.clock.now() + 1); }
  s.run();
  const st = s.net.stats();
  const lost = st.dropped - before.dropped;
  const dup = st.duplicated - before.duplicated;
  assert.ok(lost > 0.17 * n && lost < 0.23 * n, `lost ${lost} of ${n}`);
  assert.ok(dup > 0.07 * (n - lost) && dup < 0.13 * (n - lost), `duplicated ${dup} of ${n - lost}`);
  assert.is(st.sent + st.duplicated, st.delivered + st.dropped);
  const got = seqs(b, 'a');
  const inversions = got.filter((x, i) => i > 0 && x < got[i - 1]).length;
  assert.ok(inversions > 0.05 * got.length && inversions < 0.4 * got.length, `inversions ${inversions} of ${got.length}`);
});

test('without reorder, loss and duplication never put a later frame before an earlier one', async () => {
  const s = setup(9, { latencyMs: 3, jitterMs: 10, loss: 0.3, duplicate: 0.3 });
  const [a, b] = [await s.start('a'), await s.start('b')];
  for (let i = 0; i < 1000; i++) { s.send(a, 'b', `a:${i}`); if (i % 7 === 0) s.run(s.scheduler.clock.now() + 1); }
  s.run();
  const got = seqs(b, 'a');
  assert.ok(isNonDecreasing(got));
  assert.ok(got.length > 500 && got.length < 1000 + 400);
});

test('the same seed replays the same deliveries in the same order; another seed does not', async () => {
  const scenario = async (seed: number): Promise<string[]> => {
    const s = setup(seed, { latencyMs: 2, jitterMs: 6, loss: 0.1, duplicate: 0.1, reorder: 0.2 });
    const [a, b, c] = [await s.start('a'), await s.start('b'), await s.start('c')];
    for (let i = 0; i < 300; i++) {
      s.send(a, 'b', `a:${i}`);
      s.send(b, 'c', `b:${i}`);
      s.send(c, 'a', `c:${i}`);
      if (i % 10 === 0) s.run(s.scheduler.clock.now() + 3);
    }
    s.run();
    return s.log;
  };
  const first = await scenario(42);
  assert.ok(first.length > 500);
  assert.equal(await scenario(42), first);
  assert.not.equal(await scenario(43), first);
});

test('a partition cuts links on both sides, drops traffic across it, and heal restores it', async () => {
  const s = setup(3);
  const [a, b, c] = [await s.start('a'), await s.start('b'), await s.start('c')];
  s.send(a, 'b', 'a:0'); s.send(a, 'c', 'a:0'); s.send(b, 'c', 'b:0');
  s.run();
  s.send(a, 'b', 'a:1'); // in flight when the partition strikes
  s.net.partition(['a'], ['b', 'c']);
  s.run();
  assert.equal(a.events, ['up b', 'up c', 'down b closed', 'down c closed']);
  assert.equal(b.events, ['up a', 'up c', 'down a closed']);
  assert.ok(s.send(b, 'c', 'b:1'), 'the same side still talks');
  s.send(a, 'b', 'a:2');
  s.run();
  assert.equal(seqs(b, 'a'), [0]);
  assert.equal(seqs(c, 'b'), [0, 1]);
  assert.equal(a.events.slice(-1), ['rejected b handshake-timeout']);
  s.net.heal();
  s.send(a, 'b', 'a:3');
  s.run();
  assert.equal(seqs(b, 'a'), [0, 3]);
  assert.equal(b.events.slice(-1), ['up a']);
  assert.is(s.net.stats().dropped, 2);
});

test('isolate cuts a node from everyone, also nodes started later', async () => {
  const s = setup(4);
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:0');
  s.run();
  s.net.isolate('b');
  const c = await s.start('c');
  s.send(c, 'b', 'c:0');
  s.send(c, 'a', 'c:1');
  s.run();
  assert.equal(a.events, ['up b', 'down b closed', 'up c']);
  assert.equal(b.frames.map((f) => f.text), ['a:0']);
  assert.equal(c.events, ['up a', 'rejected b handshake-timeout']);
});

test('a killed node hears nothing more, its peers see the link go down, and it can come back', async () => {
  const s = setup(6);
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:0');
  s.run();
  s.send(a, 'b', 'a:1'); // in flight at the kill
  assert.ok(s.net.kill('b'));
  assert.not.ok(s.net.kill('b'));
  assert.not.ok(s.send(b, 'a', 'b:0'), 'a dead transport refuses to send');
  s.run();
  assert.equal(a.events, ['up b', 'down b closed']);
  assert.equal(b.events, ['up a']);
  assert.equal(b.frames.map((f) => f.text), ['a:0']);
  s.send(a, 'b', 'a:2');
  s.run();
  assert.equal(a.events.slice(-1), ['rejected b refused'], 'nobody listens at b');
  assert.equal(s.net.nodes(), ['a']);
  const b2 = await s.start('b');
  s.send(a, 'b', 'a:3');
  s.run();
  assert.equal(b2.frames.map((f) => f.text), ['a:3']);
  assert.equal(b.frames.length, 1);
});

test('a node with another secret is rejected with auth-failed on both sides and never delivers', async () => {
  const s = setup(7);
  const a = await s.start('a', { secret: 'the right cluster secret, 32 bytes' });
  const b = await s.start('b', { secret: 'the right cluster secret, 32 bytes' });
  const m = await s.start('m', { secret: 'a wrong cluster secret, long enough' });
  s.send(m, 'a', 'm:0');
  s.send(a, 'm', 'a:0');
  s.send(a, 'b', 'a:1');
  s.run();
  assert.equal(m.events, ['rejected a auth-failed', 'rejected a auth-failed']);
  assert.equal([...a.events].sort(), ['rejected m auth-failed', 'rejected m auth-failed', 'up b']);
  assert.equal(m.frames, []);
  assert.equal(a.frames, []);
  assert.equal(b.frames.map((f) => f.text), ['a:1']);
});

test('stop: the stopping node sees its links go down as stopped, peers as closed, and sends fail', async () => {
  const s = setup(8);
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:0');
  s.run();
  await b.transport.stop();
  s.run();
  assert.equal(b.events, ['up a', 'down a stopped']);
  assert.equal(a.events, ['up b', 'down b closed']);
  assert.not.ok(s.send(b, 'a', 'b:0'));
  await b.transport.stop(); // idempotent
});

test('disconnect closes the link on both sides; the next send reconnects', async () => {
  const s = setup(10);
  const [a, b] = [await s.start('a'), await s.start('b')];
  s.send(a, 'b', 'a:0');
  s.run();
  a.transport.disconnect('b');
  s.run();
  assert.equal(a.events, ['up b', 'down b closed']);
  assert.equal(b.events, ['up a', 'down a closed']);
  s.send(a, 'b', 'a:1');
  s.run();
  assert.equal(seqs(b, 'a'), [0, 1]);
  assert.equal(a.events.slice(-1), ['up b']);
});

test('the queue of frames waiting for a link is bounded; send returns false beyond it', async () => {
  const s = setup(12);
  const a = await s.start('a', { maxQueuedBytes: 6 });
  const b = await s.start('b');
  assert.ok(s.send(a, 'b', 'a:0'));
  assert.ok(s.send(a, 'b', 'a:1'));
  assert.not.ok(s.send(a, 'b', 'a:2'));
  s.run();
  assert.ok(s.send(a, 'b', 'a:3'), 'once up, frames go straight out');
  s.run();
  assert.equal(seqs(b, 'a'), [0, 1, 3]);
});

test('frames are copied at send: reusing the buffer does not change what arrives', async () => {
  const s = setup(13);
  const [a, b] = [await s.start('a'), await s.start('b')];
  const buf = Buffer.from('a:1');
  a.transport.send('b', buf);
  buf.write('a:9');
  s.run();
  assert.equal(b.frames.map((f) => f.text), ['a:1']);
});

test('misuse fails fast with invalid-argument or duplicate-name', async () => {
  const s = setup(14);
  assert.throws(() => s.net.setLink('a', 'b', { loss: 1.5 }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => s.net.transport({ secret: 'short' }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => s.net.partition(['a'], ['a']), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  await s.start('a');
  try { await s.start('a'); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'duplicate-name')); }
});

test.run();

/** The shared contract on a jittery simulated network; settle advances virtual time until done or quiet. */
transportContract('sim-network', async (): Promise<TransportHarness> => {
  const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
  const net = createSimNetwork({ scheduler, random: createSeededRandom(99), defaults: { latencyMs: 2, jitterMs: 5 } });
  const nonces = createSeededRandom(100);
  const made: Transport[] = [];
  return {
    async make(nodeId, events) {
      const transport = net.transport();
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system: 'contract', scheduler, nonceBytes: (n) => nonces.bytes(n), events });
      return { transport, endpoint };
    },
    settle: createVirtualSettle(scheduler),
    unreachableEndpoint: async () => 'nobody-runs-here',
    async cleanup() { await Promise.all(made.map((t) => t.stop())); },
  };
});
