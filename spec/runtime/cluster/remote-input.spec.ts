// Remote input is decoded totally: fuzzed frames from a trusted peer go through the decoders and
// through a node's real inbound path (its transport's frame event), are dropped and reported
// exactly once, never thrown, and the node keeps delivering good messages.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { ActorRef, SystemEvent } from '../../../runtime/index.ts';
import { tryParseAddress } from '../../../runtime/address.ts';
import { decodeWatchMessage } from '../../../runtime/cluster/internal/watch-message.ts';
import type { ClusterEvent } from '../../../runtime/cluster/membership.ts';
import { createNode, type ClusterNode } from '../../../runtime/cluster/node.ts';
import type { Transport, TransportContext } from '../../../runtime/cluster/transport.ts';
import { decodePacket } from '../../../runtime/wire/codec.ts';
import { badInput, FUZZ_SEED, userPacket, type Report } from '../../helpers/malformed-input.ts';
import { notes, registry, type NoteMsg } from '../../helpers/notes-actor.ts';

const test = suite('remote input is decoded totally');


/** A transport that only hands its context out: the spec plays the trusted peer by raising `frame` itself. */
function capturingTransport(): { transport: Transport; ctx: () => TransportContext } {
  let ctx: TransportContext | undefined;
  return {
    transport: { kind: 'memory', start: async (c) => { ctx = c; return c.nodeId; }, send: () => true, disconnect: () => {}, stop: async () => {} },
    ctx: () => ctx!,
  };
}

/** Node 'b' alone, a notes actor on it, and every report it gives, in order. */
async function receiver(): Promise<{ node: ClusterNode; frame: (bytes: Buffer) => void; actor: ActorRef<NoteMsg>; reports: Report[]; peers: string[]; stop: () => Promise<void> }> {
  const t = capturingTransport();
  const node = await createNode({ name: 'fz', node: 'b', transport: t.transport, registry: registry(), log: { level: 'silent' } });
  const reports: Report[] = [];
  const peers: string[] = [];
  node.cluster.events$.subscribe((e: ClusterEvent) => { if (e.type === 'input-dropped') { reports.push({ via: 'input-dropped', reason: e.reason }); peers.push(e.peer); } });
  node.system.events$.subscribe((e: SystemEvent) => { if (e.type === 'dead-letter') reports.push({ via: 'dead-letter', reason: e.reason as 'malformed-payload' }); });
  const actor = node.system.spawn(notes, 'notes');
  return { node, actor, reports, peers, frame: (bytes) => t.ctx().events.frame('a', bytes), stop: () => node.stop() };
}

const sameReport = (a: Report, b: Report): boolean => a.via === b.via && a.reason === b.reason;

test('the packet decoder never throws: every frame gives envelopes or errors, whatever its bytes', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? ''))), (bytes) => {
    const errors: unknown[] = [];
    const envelopes = decodePacket(Buffer.from(bytes), (e) => errors.push(e));
    assert.ok(envelopes.length + errors.length >= 0);
    for (const e of errors) assert.ok(e instanceof Error);
  }), { numRuns: 500, seed: FUZZ_SEED });
});

test('the watch message decoder never throws, and accepts only what it can act on', () => {
  const types = fc.oneof(fc.constantFrom('actor.watch', 'actor.unwatch', 'actor.terminated'), fc.string({ maxLength: 12 }));
  const field = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('troupe://s@b/user/x#1', 'garbage', '__proto__'));
  const payload = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ target: field, watcher: field, ref: field, reason: field }, { requiredKeys: [] }));
  fc.assert(fc.property(types, payload, (type, p) => {
    const d = decodeWatchMessage(type, JSON.parse(JSON.stringify(p ?? null)));
    if (!d.ok) { assert.type(d.reason, 'string'); return; }
    const m = d.message;
    if (m.type === 'actor.terminated') assert.ok(tryParseAddress(m.refText) && typeof m.watcher === 'string');
    else assert.ok(tryParseAddress(m.watcherText) && typeof m.target === 'string');
  }), { numRuns: 500, seed: FUZZ_SEED });
});

test('fuzzed bad input through a node\'s inbound path: no throw, exactly one report each, good messages still delivered', async () => {
  const b = await receiver();
  try {
    const target = { system: 'fz', node: 'b', actor: String(b.actor), from: 'a' };
    let sent = 0;
    fc.assert(fc.property(fc.array(badInput(target), { minLength: 1, maxLength: 4 }), (inputs) => {
      b.reports.length = 0;
      for (const input of inputs) b.frame(input.bytes); // a throw here fails the property
      assert.is(b.reports.length, inputs.length, `one report per bad input: ${inputs.map((i) => i.name).join(' | ')}`);
      inputs.forEach((input, i) => assert.ok(input.expect.some((e) => sameReport(e, b.reports[i])), `${input.name}: reported ${JSON.stringify(b.reports[i])}, expected one of ${JSON.stringify(input.expect)}`));
      b.frame(userPacket(String(b.actor), 'note', { type: 'note', text: `ok ${sent++}` }));
    }), { numRuns: 400, seed: FUZZ_SEED });
    assert.ok(b.peers.every((p) => p === 'a'), 'reports name the peer');
    const got = await b.actor.ask<string[]>((replyTo) => ({ type: 'notes', replyTo }));
    assert.equal(got, Array.from({ length: sent }, (_, i) => `ok ${i}`), 'every good message arrived, no bad one did');
    assert.equal(b.node.cluster.members().map((m) => `${m.node}:${m.status}`), ['b:up'], 'no bad member was merged');
  } finally {
    await b.stop();
  }
});

test('frames that arrive after the node\'s system terminated are dropped without a throw', async () => {
  const b = await receiver();
  const address = String(b.actor);
  await b.node.system.terminate();
  b.frame(userPacket(address, 'note', { type: 'note', text: 'late' }));
  assert.equal(b.reports, []);
  await b.stop();
});

test.run();
