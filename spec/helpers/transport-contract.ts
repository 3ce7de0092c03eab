// The Transport contract as one behaviour spec, run against every transport (memory, TCP, NATS)
// by that transport's spec file with a harness that makes started, connected transports.

import { suite } from './uvu.ts';
import * as assert from 'uvu/assert';
import type { LinkCloseReason, Transport, TransportEvents } from '../../runtime/cluster/transport.ts';
import { createSeededRandom } from '../../runtime/random.ts';

/** A started transport and the endpoint its `start` resolved with. */
export interface HarnessNode {
  readonly transport: Transport;
  readonly endpoint: string;
}

/**
 * What the contract needs from a transport's spec file; one harness per test.
 * - `make` creates and starts a transport for `nodeId` (system 'contract') reporting to `events`;
 *   all nodes of one harness can reach each other.
 * - `settle` lets the transports work until `done()` holds: a virtual-time harness advances time,
 *   a real one waits for I/O (event-driven, with a real-time bound). Resolves false when the bound
 *   ran out first; never throws for that (the contract asserts and says what was missing).
 * - `unreachableEndpoint` names an endpoint, well-formed for this transport, where nobody listens.
 * - `cleanup` stops every transport the test did not stop (stop must be idempotent).
 */
export interface TransportHarness {
  make(nodeId: string, events: TransportEvents): Promise<HarnessNode>;
  settle(done: () => boolean): Promise<boolean>;
  unreachableEndpoint(): Promise<string>;
  cleanup(): Promise<void>;
}

/** Everything one node's transport reported, with frame bytes copied. */
export interface RecordedEvents extends TransportEvents {
  /** Frames received, per sending node id, as UTF-8 text. */
  readonly text: Map<string, string[]>;
  /** Frames received, in arrival order, copied. */
  readonly frames: Array<{ readonly peer: string; readonly bytes: Buffer }>;
  readonly ups: Array<{ readonly peer: string; readonly endpoint: string }>;
  readonly downs: Array<{ readonly peer: string; readonly endpoint: string; readonly reason: LinkCloseReason; readonly detail: string }>;
  readonly rejections: Array<{ readonly remote: string; readonly reason: LinkCloseReason; readonly detail: string }>;
  /** Frames received from `peer` so far. */
  count(peer: string): number;
}

/** Creates a {@link RecordedEvents}. `keepBytes` also keeps each frame's bytes (for byte-exact checks). */
export function recordEvents(keepBytes = false): RecordedEvents {
  const text = new Map<string, string[]>();
  const frames: Array<{ peer: string; bytes: Buffer }> = [];
  const ups: RecordedEvents['ups'][number][] = [];
  const downs: RecordedEvents['downs'][number][] = [];
  const rejections: RecordedEvents['rejections'][number][] = [];
  return {
    text, frames, ups, downs, rejections,
    frame(peer, bytes) {
      let list = text.get(peer);
      if (list === undefined) { list = []; text.set(peer, list); }
      list.push(bytes.toString('utf8'));
      if (keepBytes) frames.push({ peer, bytes: Buffer.from(bytes) });
    },
    linkUp(peer, endpoint) { ups.push({ peer, endpoint }); },
    linkDown(peer, endpoint, reason, detail) { downs.push({ peer, endpoint, reason, detail }); },
    rejected(remote, reason, detail) { rejections.push({ remote, reason, detail }); },
    count: (peer) => text.get(peer)?.length ?? 0,
  };
}

/** See {@link createRealTimeSettle}. */
export interface RealTimeSettle {
  /** Wraps `events` so that each one re-checks the pending `settle` condition. */
  wrap(events: TransportEvents): TransportEvents;
  /** Waits until `done()` holds (true) or the real-time limit passes (false). */
  settle(done: () => boolean): Promise<boolean>;
  /** Re-checks the pending condition now (for progress the wrapped events do not see). */
  poke(): void;
}

/**
 * A `settle` for transports on real I/O: it re-checks `done()` whenever a wrapped event fires,
 * and gives up after `limitMs` of real time (default 10 000 ms). No fixed sleeps.
 */
export function createRealTimeSettle(limitMs = 10_000): RealTimeSettle {
  let wake: (() => void) | undefined;
  const poke = (): void => { const w = wake; wake = undefined; w?.(); };
  return {
    poke,
    wrap: (e) => ({
      frame(peer, bytes) { e.frame(peer, bytes); poke(); },
      linkUp(peer, endpoint) { e.linkUp(peer, endpoint); poke(); },
      linkDown(peer, endpoint, reason, detail) { e.linkDown(peer, endpoint, reason, detail); poke(); },
      rejected(remote, reason, detail) { e.rejected(remote, reason, detail); poke(); },
    }),
    async settle(done) {
      const deadline = Date.now() + limitMs;
      while (!done()) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => { wake = undefined; resolve(); }, left);
          wake = () => { clearTimeout(t); resolve(); };
        });
      }
      return true;
    },
  };
}

/** Resolves with `p`, or rejects when it has not settled after `limitMs` of real time (default 10 000 ms). */
export function within<T>(p: Promise<T>, what: string, limitMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.Assertion({ message: `${what} did not finish within ${limitMs} ms`, generated: false, operator: 'within', expects: 'settled', actual: 'pending' })), limitMs);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

interface Ctx { h: TransportHarness }

const bytesOf = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * Registers and runs the Transport behaviour suite for one transport. Links are whatever the
 * transport makes them; the contract checks only what a node relies on: per-pair order and
 * integrity, `linkUp` naming the peer, sends that never throw, disconnect/reconnect, and stop.
 */
export function transportContract(name: string, harness: () => Promise<TransportHarness>): void {
  const test = suite<Ctx>(`${name}: Transport contract`);
  test.before.each(async (ctx) => { ctx.h = await harness(); });
  test.after.each(async (ctx) => { await within(ctx.h.cleanup(), 'harness cleanup'); });

  const settled = async (h: TransportHarness, done: () => boolean, what: string): Promise<void> => {
    assert.ok(await h.settle(done), `gave up waiting for ${what}`);
  };

  test('frames arrive intact and in order per pair, both directions, between three nodes', async ({ h }) => {
    const N = 10_000;
    const ids = ['a', 'b', 'c'];
    const ev = ids.map(() => recordEvents());
    const nodes = await Promise.all(ids.map((id, i) => h.make(id, ev[i])));
    let refused = 0;
    // Interleave destinations so every link is busy at once; all sends start before any link is up.
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          if (i !== j && !nodes[i].transport.send(nodes[j].endpoint, bytesOf(`${ids[i]}>${ids[j]}#${n}`))) refused++;
        }
      }
    }
    assert.is(refused, 0, 'a send was refused');
    await settled(h, () => ids.every((to, j) => ids.every((from) => from === to || ev[j].count(from) >= N)), '60 000 frames');
    for (let j = 0; j < 3; j++) {
      for (const from of ids) {
        if (from === ids[j]) continue;
        const got = ev[j].text.get(from) ?? [];
        const expected = Array.from({ length: N }, (_, n) => `${from}>${ids[j]}#${n}`);
        assert.is(got.length, N, `${from}→${ids[j]} count`);
        assert.ok(got.every((s, n) => s === expected[n]), `${from}→${ids[j]} frames out of order or corrupted`);
      }
    }
  });

  test('frames of every size arrive byte-exact, including empty ones', async ({ h }) => {
    const ea = recordEvents(true), eb = recordEvents(true);
    const a = await h.make('a', ea);
    const b = await h.make('b', eb);
    const random = createSeededRandom(11);
    const sizes = [0, 1, 3, 4, 5, 255, 4096, 65_535, 65_536, 70_001, 1 << 20];
    const sent = sizes.map((n) => Buffer.from(random.bytes(n)));
    for (const s of sent) assert.ok(a.transport.send(b.endpoint, s));
    await settled(h, () => eb.frames.length >= sent.length, 'all sizes');
    assert.equal(eb.frames.map((f) => f.peer), sizes.map(() => 'a'));
    eb.frames.forEach((f, i) => assert.ok(f.bytes.equals(sent[i]), `frame of ${sizes[i]} bytes differs`));
  });

  test('linkUp names the peer node and its endpoint; frames name their sender', async ({ h }) => {
    const ea = recordEvents(), eb = recordEvents();
    const a = await h.make('node-a', ea);
    const b = await h.make('node-b', eb);
    assert.not.equal(a.endpoint, b.endpoint);
    assert.ok(a.transport.send(b.endpoint, bytesOf('hello')));
    await settled(h, () => eb.count('node-a') === 1 && ea.ups.length > 0, 'the first frame');
    assert.equal(ea.ups.find((u) => u.endpoint === b.endpoint), { peer: 'node-b', endpoint: b.endpoint });
    assert.equal(eb.text.get('node-a'), ['hello']);
    assert.equal(ea.rejections, []);
    assert.equal(eb.rejections, []);
  });

  test('a send to an unreachable endpoint does not throw, and other links keep working', async ({ h }) => {
    const ea = recordEvents(), eb = recordEvents();
    const a = await h.make('a', ea);
    const b = await h.make('b', eb);
    const nowhere = await h.unreachableEndpoint();
    for (let i = 0; i < 10; i++) assert.type(a.transport.send(nowhere, bytesOf(`lost ${i}`)), 'boolean');
    assert.ok(a.transport.send(b.endpoint, bytesOf('kept')));
    await settled(h, () => eb.count('a') === 1, 'the frame to the reachable peer');
    assert.equal(eb.text.get('a'), ['kept']);
    assert.not.ok(ea.ups.some((u) => u.endpoint === nowhere), 'a link came up to an endpoint nobody listens on');
  });

  test('disconnect closes the link and a later send reconnects', async ({ h }) => {
    const ea = recordEvents(), eb = recordEvents();
    const a = await h.make('a', ea);
    const b = await h.make('b', eb);
    assert.ok(a.transport.send(b.endpoint, bytesOf('first')));
    await settled(h, () => eb.count('a') === 1, 'the first frame');
    a.transport.disconnect(b.endpoint);
    await settled(h, () => ea.downs.some((d) => d.peer === 'b'), 'linkDown after disconnect');
    assert.ok(a.transport.send(b.endpoint, bytesOf('second')));
    await settled(h, () => eb.count('a') === 2, 'the frame after reconnecting');
    assert.equal(eb.text.get('a'), ['first', 'second']);
    assert.is(ea.ups.filter((u) => u.peer === 'b').length, 2, 'one linkUp per connection');
    a.transport.disconnect('never-used-endpoint'); // unknown endpoints are ignored
  });

  test('stop makes send return false, closes links (the peer sees linkDown), and is idempotent', async ({ h }) => {
    const ea = recordEvents(), eb = recordEvents();
    const a = await h.make('a', ea);
    const b = await h.make('b', eb);
    assert.ok(a.transport.send(b.endpoint, bytesOf('a→b')));
    assert.ok(b.transport.send(a.endpoint, bytesOf('b→a')));
    await settled(h, () => ea.count('b') === 1 && eb.count('a') === 1, 'both directions');
    await within(a.transport.stop(), 'stop');
    assert.is(a.transport.send(b.endpoint, bytesOf('after stop')), false);
    await settled(h, () => eb.downs.some((d) => d.peer === 'a'), 'the peer to see linkDown');
    await within(a.transport.stop(), 'stop');
    assert.equal(eb.text.get('a'), ['a→b']);
  });

  test('stop resolves while a link to an unreachable endpoint is retrying', async ({ h }) => {
    const a = await h.make('a', recordEvents());
    const nowhere = await h.unreachableEndpoint();
    a.transport.send(nowhere, bytesOf('pending'));
    await within(a.transport.stop(), 'stop');
    assert.is(a.transport.send(nowhere, bytesOf('after stop')), false);
  });

  test.run();
}
