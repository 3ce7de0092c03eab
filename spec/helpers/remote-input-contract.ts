// Bad input from a peer that holds the cluster secret, over a real authenticated link: each is
// dropped and reported once, nothing throws, and asks between the nodes keep working. Run by
// spec/runtime/cluster/remote-input-link.spec.ts against TCP and NATS.

import { suite } from './uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { SystemEvent } from '../../runtime/index.ts';
import { REF_KEY } from '../../runtime/cluster/ref-codec.ts';
import { createNode, type ClusterNode } from '../../runtime/cluster/node.ts';
import type { Transport, TransportEvents } from '../../runtime/cluster/transport.ts';
import { createRealScheduler, secureRandomBytes } from '../../runtime/real-clock.ts';
import { createRealTimeSettle, recordEvents, within } from './transport-contract.ts';
import { badInput, FUZZ_SEED, rawPacket, systemFields, userPacket, type Report, type Target } from './malformed-input.ts';
import { notes, registry, type NoteMsg } from './notes-actor.ts';


interface Pair {
  /** Node 'a', whose own transport sends the bad frames. */
  readonly a: ClusterNode;
  readonly b: ClusterNode;
  /** Sends raw frame bodies from a to b on a's authenticated link. */
  send(bytes: Buffer): void;
  /** b's reports, in order: `input-dropped` events and dead letters. */
  readonly reports: Report[];
  readonly target: Target;
  /** The notes b's actor holds, asked from a (so every frame a sent before has been read by b). */
  notesFromA(): Promise<string[]>;
  stop(): Promise<void>;
}

const waitFor = async (done: () => boolean, limitMs = 10_000): Promise<boolean> => {
  const end = Date.now() + limitMs;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return done();
};

async function pair(makeTransport: () => Transport): Promise<Pair> {
  const tb = makeTransport(), ta = makeTransport();
  const b = await createNode({ name: 'fz', node: 'b', transport: tb, registry: registry(), log: { level: 'silent' } });
  const a = await createNode({ name: 'fz', node: 'a', transport: ta, registry: registry(), seeds: [b.endpoint], log: { level: 'silent' } });
  const stop = async (): Promise<void> => { await a.stop(); await b.stop(); };
  if (!await waitFor(() => [a, b].every((n) => n.cluster.members().filter((m) => m.status === 'up').length === 2))) {
    await stop();
    throw new Error('the two nodes did not come up');
  }
  const reports: Report[] = [];
  b.cluster.events$.subscribe((e) => { if (e.type === 'input-dropped') { assert.is(e.peer, 'a', 'a report names the peer'); reports.push({ via: 'input-dropped', reason: e.reason }); } });
  b.system.events$.subscribe((e: SystemEvent) => { if (e.type === 'dead-letter') reports.push({ via: 'dead-letter', reason: e.reason as 'malformed-payload' }); });
  const actor = String(b.system.spawn(notes, 'notes'));
  const remote = a.cluster.refFor<NoteMsg>(actor);
  return {
    a, b, reports, stop,
    send: (bytes) => { assert.ok(ta.send(b.endpoint, bytes), 'the link took the frame'); },
    target: { system: 'fz', node: 'b', actor, from: 'a' },
    notesFromA: () => remote.ask<string[]>((replyTo) => ({ type: 'notes', replyTo }), { timeoutMs: 10_000 }),
  };
}

const members = (n: ClusterNode): string[] => n.cluster.members().map((m) => `${m.node}:${m.status}`);

/** The exact cases of the bug report, and a few neighbours, each sent alone. */
const REGRESSIONS: readonly { readonly name: string; readonly bytes: (t: Target) => Buffer; readonly expect: Report }[] = [
  {
    name: 'a user message whose ref is "garbage" is dead-lettered as malformed-payload',
    bytes: (t) => rawPacket(t.actor, ['r.1', 0, 2, null, 0, 'note', 1, null, null, { type: 'note', text: 'x', replyTo: { [REF_KEY]: 'garbage' } }]),
    expect: { via: 'dead-letter', reason: 'malformed-payload' },
  },
  {
    name: 'terminated with a bad ref address is dropped as malformed-message',
    bytes: (t) => rawPacket(`troupe://fz@${t.node}/system#0`, systemFields('actor.terminated', { ref: 'garbage', watcher: t.actor, reason: 'normal' })),
    expect: { via: 'input-dropped', reason: 'malformed-message' },
  },
  {
    name: 'watch with a bad watcher address is dropped as malformed-message',
    bytes: (t) => rawPacket(`troupe://fz@${t.node}/system#0`, systemFields('actor.watch', { target: t.actor, watcher: 'garbage' })),
    expect: { via: 'input-dropped', reason: 'malformed-message' },
  },
  {
    name: 'unwatch with a bad watcher address is dropped as malformed-message',
    bytes: (t) => rawPacket(`troupe://fz@${t.node}/system#0`, systemFields('actor.unwatch', { target: t.actor, watcher: 'troupe://fz@b/user/x#99999999999999999999' })),
    expect: { via: 'input-dropped', reason: 'malformed-message' },
  },
  {
    name: 'a heartbeat naming a member with status "__proto__" is dropped as malformed-message',
    bytes: (t) => rawPacket(`troupe://fz@${t.node}/system#0`, systemFields('cluster.heartbeat', { from: 'a', members: [{ node: 'ghost', endpoint: '127.0.0.1:1', incarnation: 1, status: '__proto__' }] })),
    expect: { via: 'input-dropped', reason: 'malformed-message' },
  },
  {
    name: 'a frame that is not JSON is dropped as malformed-envelope',
    bytes: () => Buffer.from('garbage'),
    expect: { via: 'input-dropped', reason: 'malformed-envelope' },
  },
];

/**
 * Registers the specs for one transport. `makeTransport` makes a fresh transport sharing the
 * cluster secret; `fuzzRuns` bounds the property (each run is a few frames and one remote ask).
 */
export function remoteInputContract(name: string, makeTransport: () => Transport, fuzzRuns = 200): void {
  const test = suite(`remote input over ${name}`, undefined, { limitMs: 90_000 });

  test('regressions: each bad input is dropped and reported once; the link and asks keep working', async () => {
    const p = await pair(makeTransport);
    try {
      for (const [i, c] of REGRESSIONS.entries()) {
        p.reports.length = 0;
        p.send(c.bytes(p.target));
        p.send(userPacket(p.target.actor, 'note', { type: 'note', text: `after ${i}` }));
        const got = await p.notesFromA();
        assert.equal(p.reports, [c.expect], c.name);
        assert.equal(got, REGRESSIONS.slice(0, i + 1).map((_, j) => `after ${j}`), `${c.name}: the next message on the link was delivered`);
      }
      assert.equal(members(p.b), ['a:up', 'b:up'], 'no ghost member was merged');
    } finally {
      await p.stop();
    }
  });

  test('a bad envelope between two good ones in one packet: the good ones are delivered in order', async () => {
    const p = await pair(makeTransport);
    try {
      const note = (text: string): unknown[] => ['ok', 0, 0, null, 0, 'note', 1, null, null, { type: 'note', text }];
      const garbageRef = ['bad', 0, 2, null, 0, 'note', 1, null, null, { type: 'note', text: 'bad', replyTo: { [REF_KEY]: 'garbage' } }];
      p.send(rawPacket(p.target.actor, note('first'), garbageRef, [1, 2, 3], note('second')));
      assert.equal(await p.notesFromA(), ['first', 'second']);
      // the packet is decoded before its envelopes are delivered: the unreadable one is reported first
      assert.equal(p.reports, [{ via: 'input-dropped', reason: 'malformed-envelope' }, { via: 'dead-letter', reason: 'malformed-payload' }]);
    } finally {
      await p.stop();
    }
  });

  test(`fuzz (${fuzzRuns} runs, seed ${FUZZ_SEED}): no throw, one expected report per bad frame, then an ask still works`, async () => {
    const p = await pair(makeTransport);
    try {
      let good = 0;
      await fc.assert(fc.asyncProperty(fc.array(badInput(p.target), { minLength: 1, maxLength: 4 }), async (inputs) => {
        p.reports.length = 0;
        for (const input of inputs) p.send(input.bytes);
        p.send(userPacket(p.target.actor, 'note', { type: 'note', text: `ok ${good++}` }));
        const got = await p.notesFromA();
        assert.is(got[got.length - 1], `ok ${good - 1}`, 'the good message after the bad ones was delivered');
        assert.is(p.reports.length, inputs.length, `one report per bad input: ${inputs.map((i) => i.name).join(' | ')}`);
        inputs.forEach((input, i) => assert.ok(input.expect.some((e) => e.via === p.reports[i].via && e.reason === p.reports[i].reason),
          `${input.name}: reported ${JSON.stringify(p.reports[i])}, expected one of ${JSON.stringify(input.expect)}`));
      }), { numRuns: fuzzRuns, seed: FUZZ_SEED, endOnFailure: true });
      assert.equal(await p.notesFromA(), Array.from({ length: good }, (_, i) => `ok ${i}`), 'every good message arrived once, in order, and no bad one');
      assert.equal(members(p.a), ['a:up', 'b:up']);
      assert.equal(members(p.b), ['a:up', 'b:up'], 'no ghost member was merged');
    } finally {
      await p.stop();
    }
  });

  test('the transport\'s backstop: a frame handler that throws is reported as rejected(error), and the next frames still arrive', async () => {
    const scheduler = createRealScheduler();
    const settler = createRealTimeSettle();
    const ea = recordEvents(), eb = recordEvents();
    const throwing: TransportEvents = { ...eb, frame: (peer, bytes) => { if (bytes.toString() === 'boom') throw new Error('a handler bug'); eb.frame(peer, bytes); } };
    const ta = makeTransport(), tb = makeTransport();
    try {
      const bEndpoint = await tb.start({ nodeId: 'b', system: 'fz', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(throwing) });
      await ta.start({ nodeId: 'a', system: 'fz', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(ea) });
      for (const text of ['before', 'boom', 'after']) assert.ok(ta.send(bEndpoint, Buffer.from(text)));
      assert.ok(await settler.settle(() => eb.count('a') === 2 && eb.rejections.length === 1), `got ${JSON.stringify([...eb.text])} and ${JSON.stringify(eb.rejections)}`);
      assert.equal(eb.text.get('a'), ['before', 'after']);
      assert.is(eb.rejections[0].reason, 'error');
      assert.match(eb.rejections[0].detail, 'a handler bug');
      assert.equal(eb.downs, [], 'the link stayed up');
    } finally {
      await within(Promise.all([ta.stop(), tb.stop()]), 'stopping the transports');
    }
  });

  test.run();
}
