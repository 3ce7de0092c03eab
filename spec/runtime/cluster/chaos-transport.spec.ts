// Specs for the transport's chaos layer on virtual time, over simulated transports: transparent
// with no rule (the whole transport contract), then each fault per peer and direction — drop,
// delay and jitter, duplicate, reorder, bandwidth, block (partition) and heal — seeded and
// reproducible, and bad rules rejected with typed errors. Last, on real TCP and NATS links.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { withLinkChaos, type ChaosTransport, type LinkChaosRule } from '../../../runtime/cluster/chaos-transport.ts';
import { resolveLinkFaults } from '../../../runtime/cluster/link-faults.ts';
import { createSimNetwork } from '../../../runtime/cluster/sim-network.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { createNatsTransport } from '../../../runtime/cluster/nats-transport.ts';
import { serviceUrl } from '../../helpers/services.ts';
import type { TransportEvents } from '../../../runtime/cluster/transport.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { createVirtualScheduler } from '../../../runtime/virtual-clock.ts';
import { createRealTimeSettle, recordEvents, transportContract, type TransportHarness } from '../../helpers/transport-contract.ts';
import { createVirtualSettle } from '../../helpers/virtual-settle.ts';

interface Arrival { readonly from: string; readonly text: string; readonly at: number }

/** Nodes a, b, c on a perfect 1 ms simulated network, each transport under a chaos layer seeded `seed`. */
async function world(seed = 5) {
  const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
  const net = createSimNetwork({ scheduler, random: createSeededRandom(1) });
  const nodes = new Map<string, { t: ChaosTransport; got: Arrival[] }>();
  for (const id of ['a', 'b', 'c']) {
    const t = withLinkChaos(net.transport(), { seed });
    const got: Arrival[] = [];
    const events: TransportEvents = {
      frame: (peer, bytes) => { got.push({ from: peer, text: bytes.toString('utf8'), at: scheduler.clock.now() }); },
      linkUp: () => {}, linkDown: () => {}, rejected: () => {},
    };
    await t.start({ nodeId: id, system: 'chaos', scheduler, nonceBytes: (n) => new Uint8Array(n), events });
    nodes.set(id, { t, got });
  }
  const run = (untilMs = Number.POSITIVE_INFINITY): void => {
    for (let i = 0; i < 1_000_000; i++) {
      const next = scheduler.nextDeadline();
      if (next === undefined || next > untilMs) break;
      scheduler.fireNextDue(next);
    }
    if (untilMs !== Number.POSITIVE_INFINITY) scheduler.setNow(untilMs);
  };
  const node = (id: string) => nodes.get(id)!;
  const send = (from: string, to: string, texts: readonly string[]): void => { for (const s of texts) assert.ok(node(from).t.send(to, Buffer.from(s)), `send ${s}`); };
  /** Links up both ways (the chaos layer learns endpoints from linkUp) before any rule is set. */
  const connect = (): void => {
    for (const a of nodes.keys()) for (const b of nodes.keys()) if (a !== b) node(a).t.send(b, Buffer.from('hello'));
    run();
    for (const n of nodes.values()) n.got.length = 0;
  };
  return { scheduler, node, send, run, connect };
}

const texts = (n: number, p = 'm'): string[] => Array.from({ length: n }, (_, i) => `${p}${i}`);

test('no rule: frames pass straight through, in order, and nothing is counted', async () => {
  const w = await world();
  w.connect();
  w.send('a', 'b', texts(100));
  w.run();
  assert.equal(w.node('b').got.map((x) => x.text), texts(100));
  assert.equal(w.node('a').t.chaos.stats(), { passed: 0, dropped: 0, blocked: 0, duplicated: 0, reordered: 0, delayed: 0, refused: 0 });
});

test('delay and jitter on a->b outbound: later by latency + [0, jitter), still in order; b->a untouched', async () => {
  const w = await world();
  w.connect();
  w.node('a').t.chaos.set('slow', { peers: ['b'], direction: 'outbound', faults: { latencyMs: 200, jitterMs: 50 } });
  const t0 = w.scheduler.clock.now();
  w.send('a', 'b', texts(50));
  w.send('b', 'a', texts(5, 'r'));
  w.run();
  const got = w.node('b').got;
  assert.equal(got.map((x) => x.text), texts(50), 'order kept under jitter');
  assert.ok(got.every((x) => x.at - t0 >= 201 && x.at - t0 < 251 + 1), `arrivals within latency + jitter + the 1 ms link: ${got.map((x) => x.at - t0).join(' ')}`);
  assert.ok(new Set(got.map((x) => x.at)).size > 1, 'jitter spreads arrivals');
  assert.ok(w.node('a').got.every((x) => x.at - t0 <= 1), 'the other direction keeps the bare 1 ms');
  assert.is(w.node('a').t.chaos.stats().delayed, 50);
});

test('loss drops about its fraction, the same frames for the same seed, none for another peer', async () => {
  const lost = async (seed: number): Promise<string[]> => {
    const w = await world(seed);
    w.connect();
    w.node('a').t.chaos.set('lossy', { peers: ['b'], faults: { loss: 0.3 } });
    w.send('a', 'b', texts(1_000));
    w.send('a', 'c', texts(100, 'c'));
    w.run();
    const got = new Set(w.node('b').got.map((x) => x.text));
    assert.is(w.node('c').got.length, 100, 'c is not under the rule');
    assert.is(w.node('a').t.chaos.stats().dropped, 1_000 - got.size);
    return texts(1_000).filter((t) => !got.has(t));
  };
  const one = await lost(11);
  assert.ok(one.length > 230 && one.length < 370, `about 30 % lost: ${one.length}`);
  assert.equal(await lost(11), one, 'same seed, same frames lost');
  assert.not.equal(await lost(12), one, 'another seed, other frames');
});

test('duplicate delivers some frames twice; reorder lets later frames overtake', async () => {
  const w = await world();
  w.connect();
  w.node('a').t.chaos.set('dup', { peers: ['b'], faults: { duplicate: 0.2 } });
  w.send('a', 'b', texts(500));
  w.run();
  const got = w.node('b').got.map((x) => x.text);
  const dups = w.node('a').t.chaos.stats().duplicated;
  assert.ok(dups > 60 && dups < 140, `about 20 % duplicated: ${dups}`);
  assert.is(got.length, 500 + dups);
  assert.equal([...new Set(got)], texts(500), 'every frame arrives, first copies in order');

  w.node('a').t.chaos.set('dup', { peers: ['b'], faults: { reorder: 0.3, latencyMs: 20 } });
  w.node('b').got.length = 0;
  w.send('a', 'b', texts(300));
  w.run();
  const again = w.node('b').got.map((x) => x.text);
  assert.equal([...again].sort(), [...texts(300)].sort(), 'nothing lost by reordering');
  assert.not.equal(again, texts(300), 'some frames overtaken');
  assert.ok(w.node('a').t.chaos.stats().reordered > 50);
});

test('bandwidth: frames queue behind each other at bytes / rate', async () => {
  const w = await world();
  w.connect();
  w.node('a').t.chaos.set('thin', { peers: ['b'], direction: 'outbound', faults: { bandwidthBytesPerSec: 10_000 } });
  const t0 = w.scheduler.clock.now();
  const kb = 'x'.repeat(1_000);
  w.send('a', 'b', [kb, kb, kb, kb, kb]);
  w.run();
  const at = w.node('b').got.map((x) => Math.round(x.at - t0));
  assert.equal(at, [101, 201, 301, 401, 501], '1 000 bytes at 10 000 B/s: 100 ms each, plus the 1 ms link');
});

test('inbound rules act on what a node receives; block is one side of a partition, remove heals it', async () => {
  const w = await world();
  w.connect();
  w.node('b').t.chaos.set('deaf', { peers: ['a'], direction: 'inbound', faults: { latencyMs: 30 } });
  const t0 = w.scheduler.clock.now();
  w.send('a', 'b', ['late']);
  w.run();
  assert.is(Math.round(w.node('b').got[0].at - t0), 31);
  w.node('b').t.chaos.remove('deaf');

  // partition {a} | {b, c}: each side blocks the other
  w.node('a').t.chaos.set('p', { peers: ['b', 'c'], block: true });
  for (const id of ['b', 'c']) w.node(id).t.chaos.set('p', { peers: ['a'], block: true });
  for (const n of ['a', 'b', 'c']) w.node(n).got.length = 0;
  w.send('a', 'b', ['x1']); w.send('b', 'a', ['y1']); w.send('c', 'a', ['z1']); w.send('b', 'c', ['inside']);
  w.run();
  assert.equal(w.node('a').got, [], 'a hears nothing across the partition');
  assert.equal(w.node('b').got, [], 'nor does b from a');
  assert.equal(w.node('c').got.map((x) => x.text), ['inside'], 'the majority side still talks');
  assert.ok(w.node('a').t.chaos.stats().blocked >= 1);

  for (const id of ['a', 'b', 'c']) assert.ok(w.node(id).t.chaos.remove('p'));
  assert.is(w.node('a').t.chaos.remove('p'), false, 'removing twice says so');
  w.send('a', 'b', ['healed']);
  w.run();
  assert.equal(w.node('b').got.map((x) => x.text), ['healed'], 'frames flow again after heal');
});

test('precedence: a block wins over faults; the newest faults apply; ids and clear', async () => {
  const w = await world();
  w.connect();
  const chaos = w.node('a').t.chaos;
  chaos.set('slow-all', { peers: '*', faults: { latencyMs: 100 } });
  chaos.set('slower-b', { peers: ['b'], faults: { latencyMs: 300 } });
  const t0 = w.scheduler.clock.now();
  w.send('a', 'b', ['b1']); w.send('a', 'c', ['c1']);
  w.run();
  assert.is(Math.round(w.node('b').got[0].at - t0), 301);
  assert.is(Math.round(w.node('c').got[0].at - t0), 101);
  chaos.set('cut-b', { peers: ['b'], block: true });
  assert.equal(chaos.ids(), ['slow-all', 'slower-b', 'cut-b']);
  w.send('a', 'b', ['b2']);
  w.run();
  assert.is(w.node('b').got.length, 1, 'blocked');
  chaos.clear();
  assert.equal(chaos.ids(), []);
  w.send('a', 'b', ['b3']);
  w.run();
  assert.equal(w.node('b').got.map((x) => x.text), ['b1', 'b3']);
});

test('stop cancels delayed frames; a stopped layer refuses sends', async () => {
  const w = await world();
  w.connect();
  w.node('a').t.chaos.set('slow', { peers: ['b'], faults: { latencyMs: 500 } });
  w.send('a', 'b', ['never']);
  await w.node('a').t.stop();
  w.run();
  assert.equal(w.node('b').got, []);
  assert.is(w.node('a').t.send('b', Buffer.from('after stop')), false);
});

test('bad rules and link faults are rejected with invalid-argument naming the field', async () => {
  const w = await world();
  const chaos = w.node('a').t.chaos;
  const bad = (rule: unknown, field: string, id = 'r'): void => {
    try {
      chaos.set(id, rule as LinkChaosRule);
      assert.unreachable(`accepted ${JSON.stringify(rule)}`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
      assert.is((e as TroupeError).data.field, field, (e as Error).message);
    }
  };
  bad({ peers: ['b'], faults: { loss: 1.5 } }, 'loss');
  bad({ peers: ['b'], faults: { latencyMs: -1 } }, 'latencyMs');
  bad({ peers: ['b'], faults: { bandwidthBytesPerSec: 0 } }, 'bandwidthBytesPerSec');
  bad({ peers: ['b'], faults: { latency: 5 } }, 'latency');
  bad({ peers: 'b', faults: { loss: 0.1 } }, 'peers');
  bad({ peers: ['b'], direction: 'sideways', faults: { loss: 0.1 } }, 'direction');
  bad({ peers: ['b'] }, 'faults');
  bad(null, 'rule');
  bad({ peers: ['b'], block: true }, 'id', '');
  assert.equal(chaos.ids(), [], 'nothing was set by a rejected rule');
  assert.equal(resolveLinkFaults({ latencyMs: 5 }).conditions, { latencyMs: 5, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0 });
});

test('on a real TCP link: a block drops every frame both ways, removing it lets them through again', async () => {
  const scheduler = createRealScheduler();
  const settler = createRealTimeSettle(10_000);
  const secret = 'chaos transport spec secret, 32 bytes+';
  const a = withLinkChaos(createTcpTransport({ secret }), { seed: 3 });
  const b = withLinkChaos(createTcpTransport({ secret }), { seed: 4 });
  const ea = recordEvents(), eb = recordEvents();
  try {
    const pa = await a.start({ nodeId: 'a', system: 'chaos', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(ea) });
    const pb = await b.start({ nodeId: 'b', system: 'chaos', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(eb) });
    a.send(pb, Buffer.from('hi b')); b.send(pa, Buffer.from('hi a'));
    assert.ok(await settler.settle(() => eb.count('a') === 1 && ea.count('b') === 1), 'frames flow before the partition');
    a.chaos.set('p', { peers: ['b'], block: true });
    b.chaos.set('p', { peers: ['a'], block: true });
    for (let i = 0; i < 20; i++) { a.send(pb, Buffer.from(`lost ${i}`)); b.send(pa, Buffer.from(`lost ${i}`)); }
    a.chaos.remove('p'); b.chaos.remove('p');
    a.send(pb, Buffer.from('after heal')); b.send(pa, Buffer.from('after heal'));
    assert.ok(await settler.settle(() => eb.count('a') === 2 && ea.count('b') === 2), 'frames flow after heal');
    assert.equal(eb.text.get('a'), ['hi b', 'after heal'], 'nothing sent across the partition arrived');
    assert.equal(ea.text.get('b'), ['hi a', 'after heal']);
    assert.is(a.chaos.stats().blocked, 20);
  } finally {
    await a.stop();
    await b.stop();
  }
});

const natsUrl = serviceUrl('nats', 'chaos layer over NATS');
if (natsUrl) {
  test('on a real NATS link: loss and duplication per direction, then a partition and its heal', async () => {
    const scheduler = createRealScheduler();
    const settler = createRealTimeSettle(10_000);
    const secret = 'chaos transport spec secret, 32 bytes+';
    const subjectPrefix = `troupe-chaos-${Buffer.from(secureRandomBytes(6)).toString('hex')}`;
    const a = withLinkChaos(createNatsTransport({ servers: natsUrl, secret, subjectPrefix }), { seed: 8 });
    const b = withLinkChaos(createNatsTransport({ servers: natsUrl, secret, subjectPrefix }), { seed: 9 });
    const ea = recordEvents(), eb = recordEvents();
    try {
      const pa = await a.start({ nodeId: 'a', system: 'chaos', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(ea) });
      const pb = await b.start({ nodeId: 'b', system: 'chaos', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(eb) });
      a.send(pb, Buffer.from('hello'));
      b.send(pa, Buffer.from('hello'));
      assert.ok(await settler.settle(() => eb.count('a') === 1 && ea.count('b') === 1), 'link up both ways');
      a.chaos.set('lossy', { peers: ['b'], direction: 'outbound', faults: { loss: 0.5 } });
      b.chaos.set('echoey', { peers: ['a'], direction: 'outbound', faults: { duplicate: 1 } });
      for (let i = 0; i < 100; i++) { a.send(pb, Buffer.from(`a${i}`)); b.send(pa, Buffer.from(`b${i}`)); }
      const kept = 100 - a.chaos.stats().dropped;
      assert.ok(kept > 25 && kept < 75, `about half of a->b lost: ${kept} kept`);
      assert.ok(await settler.settle(() => eb.count('a') === 1 + kept && ea.count('b') === 1 + 200), `a->b ${eb.count('a')}/${1 + kept}, b->a ${ea.count('b')}/201`);
      a.chaos.clear(); b.chaos.clear();
      a.chaos.set('p', { peers: ['b'], block: true }); b.chaos.set('p', { peers: ['a'], block: true });
      a.send(pb, Buffer.from('lost')); b.send(pa, Buffer.from('lost'));
      a.chaos.remove('p'); b.chaos.remove('p');
      a.send(pb, Buffer.from('healed')); b.send(pa, Buffer.from('healed'));
      assert.ok(await settler.settle(() => eb.text.get('a')!.at(-1) === 'healed' && ea.text.get('b')!.at(-1) === 'healed'), 'frames flow after heal');
      assert.not.ok(eb.text.get('a')!.includes('lost'), 'nothing crossed the partition');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
}

test.run();

/** The whole transport contract through a chaos layer with no rule: it must be invisible. */
transportContract('sim-network under an idle chaos layer', async (): Promise<TransportHarness> => {
  const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
  const net = createSimNetwork({ scheduler, random: createSeededRandom(99), defaults: { latencyMs: 2, jitterMs: 5 } });
  const made: ChaosTransport[] = [];
  return {
    async make(nodeId, events) {
      const transport = withLinkChaos(net.transport());
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system: 'contract', scheduler, nonceBytes: (n) => new Uint8Array(n), events });
      return { transport, endpoint };
    },
    settle: createVirtualSettle(scheduler),
    unreachableEndpoint: async () => 'nobody-runs-here',
    async cleanup() { await Promise.all(made.map((t) => t.stop())); },
  };
});
