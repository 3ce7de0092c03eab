// Trace context across nodes on the simulated network: a remote tell and ask (and its reply)
// each cross as a producer span on the sender whose traceparent the receiver continues; an
// inbound traceparent that cannot be used is ignored with a typed reason, never thrown.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createSpanCollector, defineActor, sampleAlways, type ActorRef, type SystemEvent } from '../../../runtime/index.ts';
import { createNode } from '../../../runtime/cluster/node.ts';
import type { Transport, TransportContext } from '../../../runtime/cluster/transport.ts';
import { createSimCluster } from '../../../runtime/testing.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { FUZZ_SEED, rawPacket } from '../../helpers/malformed-input.ts';
import { notes, registry as notesRegistry } from '../../helpers/notes-actor.ts';

const test = suite('remote trace context');

type Msg = { type: 'work'; n: number } | { type: 'price'; replyTo: ActorRef<number> };
const worker = defineActor<Msg, undefined>({
  init: () => undefined,
  receive: (_s, m) => { if (m.type === 'price') m.replyTo.tell(42); },
});
const registry = () => createMessageRegistry().define('work', { version: 1 }).define('price', { version: 1 });

test('a remote tell and ask: send spans on the sender, process spans on the receiver, one trace', async () => {
  const collector = createSpanCollector();
  const sim = await createSimCluster({ nodes: ['a', 'b'], registry, nodeOptions: { tracing: { collector, sampler: sampleAlways() } } });
  try {
    const onB = sim.node('b').system.spawn(worker, 'worker');
    const remote = sim.node('a').cluster.refFor<Msg>(String(onB));
    const a = sim.node('a').system;
    let price: number | undefined;
    a.tracing!.inSpan('request', async () => {
      remote.tell({ type: 'work', n: 1 });
      price = await remote.ask<number>((replyTo) => ({ type: 'price', replyTo }));
    });
    assert.ok(await sim.runUntil(() => price !== undefined, 5_000));
    await sim.runUntilIdle();
    const spans = collector.spans();
    const traceIds = new Set(spans.map((s) => s.traceId));
    assert.is(traceIds.size, 1, 'one trace across both nodes');
    const get = (name: string, node: string) => spans.filter((s) => s.name === name && s.attributes['troupe.node'] === node);
    const root = get('request', 'a')[0];
    const [sendWork] = get('send work', 'a');
    const [processWork] = get('process work', 'b');
    assert.equal([sendWork.kind, sendWork.parentSpanId, sendWork.attributes['messaging.destination.name'], sendWork.attributes['troupe.destination.node']],
      ['producer', root.spanId, '/user/worker', 'b']);
    assert.match(String(sendWork.attributes['messaging.message.id']), /^a\./);
    assert.equal([processWork.kind, processWork.parentSpanId], ['consumer', sendWork.spanId]);
    assert.ok(processWork.startMs > sendWork.endMs, 'the hop took network time');
    const [ask] = get('ask price', 'a');
    const [sendPrice] = get('send price', 'a');
    const [processPrice] = get('process price', 'b');
    const [reply] = get('send $value', 'b');
    assert.equal([sendPrice.parentSpanId, processPrice.parentSpanId, reply.parentSpanId], [ask.spanId, sendPrice.spanId, processPrice.spanId]);
    assert.ok(ask.endMs > reply.endMs, 'the ask span ends when the reply arrives');
  } finally {
    await sim.shutdown();
  }
});

/** A transport that only hands its context out: the spec plays the peer by raising `frame` itself. */
function capturingTransport(): { transport: Transport; ctx: () => TransportContext } {
  let ctx: TransportContext | undefined;
  return {
    transport: { kind: 'memory', start: async (c) => { ctx = c; return c.nodeId; }, send: () => true, disconnect: () => {}, stop: async () => {} },
    ctx: () => ctx!,
  };
}

test('an inbound traceparent that cannot be used is ignored with a typed reason; the message is delivered', async () => {
  const t = capturingTransport();
  const node = await createNode({ name: 'fz', node: 'b', transport: t.transport, registry: notesRegistry(), tracing: true, log: { level: 'silent' } });
  try {
    const drops: unknown[] = [];
    node.cluster.events$.subscribe((e) => { if (e.type === 'input-dropped') drops.push(e); });
    const letters: SystemEvent[] = [];
    node.system.events$.subscribe((e) => { if (e.type === 'dead-letter') letters.push(e); });
    const actor = node.system.spawn(notes, 'notes');
    const to = String(actor);
    const send = (slot: unknown, text: string): void => t.ctx().events.frame('a', rawPacket(to, ['fz.1', 0, 0, null, 0, 'note', 1, null, slot, { type: 'note', text }]));
    send('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz', 'malformed');
    send(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, 'zero trace');
    send(`ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, 'version ff');
    send('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', 'unsampled');
    let count = 4;
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (slot) => { send(slot, `fuzz ${count++}`); }), { numRuns: 300, seed: FUZZ_SEED });
    const got = await actor.ask<string[]>((replyTo) => ({ type: 'notes', replyTo }));
    assert.is(got.length, count, 'every message was delivered');
    assert.equal(got.slice(0, 4), ['malformed', 'zero trace', 'version ff', 'unsampled']);
    const rejected = node.system.tracing!.rejected;
    assert.is(rejected.malformed! >= 1 && rejected['zero-trace-id'] === 1 && rejected['unsupported-version']! >= 1, true, JSON.stringify(rejected));
    assert.equal(drops, [], 'not an input drop');
    assert.equal(letters, []);
    assert.equal(node.system.tracing!.collector!.spans().filter((s) => s.name === 'process note'), [], 'nothing traced from unusable or unsampled contexts');
    t.ctx().events.frame('a', rawPacket(to, ['fz.2', 0, 0, null, 0, 'note', 1, null, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01;k=v', { type: 'note', text: 'traced' }]));
    await actor.ask<string[]>((replyTo) => ({ type: 'notes', replyTo }));
    const [traced] = node.system.tracing!.collector!.spans().filter((s) => s.name === 'process note');
    assert.equal([traced.traceId, traced.parentSpanId], ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7']);
  } finally {
    await node.stop();
  }
});

test('a node with tracing off ignores the traceparent and delivers the message as sent', async () => {
  const t = capturingTransport();
  const node = await createNode({ name: 'fz', node: 'b', transport: t.transport, registry: notesRegistry(), log: { level: 'silent' } });
  try {
    const actor = node.system.spawn(notes, 'notes');
    t.ctx().events.frame('a', rawPacket(String(actor), ['fz.1', 0, 0, null, 0, 'note', 1, null, 'junk', { type: 'note', text: 'hi' }]));
    assert.equal(await actor.ask<string[]>((replyTo) => ({ type: 'notes', replyTo })), ['hi']);
  } finally {
    await node.stop();
  }
});

test.run();
