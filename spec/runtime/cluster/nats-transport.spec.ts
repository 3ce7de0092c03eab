// Specs for the NATS transport against a real nats-server (TROUPE_NATS_URL): the shared transport
// contract, the cluster secret, forged frames, stop, oversized frames and misuse.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { connect } from 'nats';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { createNatsTransport, type NatsTransportOptions } from '../../../runtime/cluster/nats-transport.ts';
import { encodeNatsMessage } from '../../../runtime/cluster/internal/nats-message.ts';
import type { Transport, TransportEvents } from '../../../runtime/cluster/transport.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { createRealTimeSettle, recordEvents, transportContract, type TransportHarness } from '../../helpers/transport-contract.ts';

const SECRET = 'nats transport spec secret, 32+ bytes';
const OTHER_SECRET = 'some other cluster secret, also long';
const url = serviceUrl('nats', 'nats transport');

/** Nodes on one fresh subject prefix (so runs never hear each other), on real time and I/O. */
function natsNodes(servers: string, limitMs = 10_000) {
  const scheduler = createRealScheduler();
  const settler = createRealTimeSettle(limitMs);
  const prefix = `troupe-spec-${Buffer.from(secureRandomBytes(6)).toString('hex')}`;
  const made: Transport[] = [];
  return {
    prefix,
    settle: settler.settle,
    async start(nodeId: string, events: TransportEvents, options: Partial<NatsTransportOptions> = {}, system = 'contract') {
      const transport = createNatsTransport({ servers, secret: SECRET, subjectPrefix: prefix, ...options });
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system, scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(events) });
      return { transport, endpoint };
    },
    async stopAll() { await Promise.all(made.map((t) => t.stop())); },
  };
}

/** After what a test threw at a, b's next real frame still arrives, in order after the first, and no link went down. */
async function keepsServing(nodes: ReturnType<typeof natsNodes>, a: { endpoint: string }, b: { transport: Transport }, ea: ReturnType<typeof recordEvents>, eb: ReturnType<typeof recordEvents>): Promise<void> {
  b.transport.send(a.endpoint, Buffer.from('real 2'));
  assert.ok(await nodes.settle(() => ea.count('b') === 2));
  assert.equal(ea.text.get('b'), ['real 1', 'real 2']);
  assert.equal([...ea.downs, ...eb.downs], []);
}

if (url) {
  transportContract('nats', async (): Promise<TransportHarness> => {
    const nodes = natsNodes(url);
    return {
      make: (nodeId, events) => nodes.start(nodeId, events),
      settle: nodes.settle,
      unreachableEndpoint: async () => `${nodes.prefix}.contract.nobody-listens`,
      cleanup: nodes.stopAll,
    };
  });

  test('the endpoint is <prefix>.<system>.<nodeId>; frames flow both ways in order', async () => {
    const nodes = natsNodes(url);
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea, {}, 'shop');
      const b = await nodes.start('b', eb, {}, 'shop');
      assert.is(a.endpoint, `${nodes.prefix}.shop.a`);
      for (let i = 0; i < 500; i++) { a.transport.send(b.endpoint, Buffer.from(`a${i}`)); b.transport.send(a.endpoint, Buffer.from(`b${i}`)); }
      assert.ok(await nodes.settle(() => ea.count('b') === 500 && eb.count('a') === 500));
      assert.equal(eb.text.get('a'), Array.from({ length: 500 }, (_, i) => `a${i}`));
      assert.equal(ea.text.get('b'), Array.from({ length: 500 }, (_, i) => `b${i}`));
      assert.equal(ea.ups, [{ peer: 'b', endpoint: b.endpoint }]);
      assert.equal(eb.ups, [{ peer: 'a', endpoint: a.endpoint }]);
    } finally {
      await nodes.stopAll();
    }
  });

  test('a node with another secret is rejected with auth-failed on both sides; nothing is delivered', async () => {
    const nodes = natsNodes(url);
    try {
      const ea = recordEvents(), em = recordEvents();
      const a = await nodes.start('a', ea);
      const m = await nodes.start('m', em, { secret: OTHER_SECRET });
      assert.ok(m.transport.send(a.endpoint, Buffer.from('from the wrong cluster')));
      assert.ok(await nodes.settle(() => ea.rejections.length > 0 && em.rejections.length > 0));
      assert.equal(ea.rejections.map((r) => [r.remote, r.reason]), [[m.endpoint, 'auth-failed']]);
      assert.equal(em.rejections.map((r) => [r.remote, r.reason]), [[a.endpoint, 'auth-failed']]);
      assert.not.ok(JSON.stringify([ea.rejections, em.rejections]).includes(SECRET), 'a secret leaked into a rejection');
      assert.ok(a.transport.send(m.endpoint, Buffer.from('to the wrong cluster')));
      assert.ok(await nodes.settle(() => ea.rejections.length === 2 && em.rejections.length === 2));
      assert.equal(ea.text.size + em.text.size, 0);
      assert.equal([...ea.ups, ...em.ups], []);
    } finally {
      await nodes.stopAll();
    }
  });

  test('forged frames (no handshake, or a spoofed sender) are dropped and reported; the real link keeps working', async () => {
    const nodes = natsNodes(url);
    const raw = await connect({ servers: url });
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb);
      b.transport.send(a.endpoint, Buffer.from('real 1'));
      assert.ok(await nodes.settle(() => ea.count('b') === 1));
      const fake = Buffer.from(secureRandomBytes(8));
      raw.publish(a.endpoint, encodeNatsMessage('frame', fake, Buffer.from('forged as b')), { reply: b.endpoint });
      raw.publish(a.endpoint, encodeNatsMessage('frame', fake, Buffer.from('forged as x')), { reply: `${nodes.prefix}.contract.x` });
      raw.publish(a.endpoint, Buffer.from('not a troupe message'), { reply: `${nodes.prefix}.contract.y` });
      await raw.flush();
      // wait for three, then require exactly these three: an extra rejection shows up in the diff
      await nodes.settle(() => ea.rejections.length >= 3);
      assert.equal(ea.rejections.map((r) => [r.remote, r.reason]), [
        [b.endpoint, 'auth-failed'], [`${nodes.prefix}.contract.x`, 'auth-failed'], [`${nodes.prefix}.contract.y`, 'malformed-frame'],
      ]);
      await keepsServing(nodes, a, b, ea, eb);
    } finally {
      await raw.close();
      await nodes.stopAll();
    }
  });

  test('every frame message is sealed: a tampered copy and a replayed copy are dropped and reported; the link keeps serving', async () => {
    const nodes = natsNodes(url);
    const raw = await connect({ servers: url });
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb);
      // A raw client on a's subject sees what b sends there (as anyone allowed to subscribe would).
      const seen: Array<{ data: Uint8Array; reply: string }> = [];
      const sub = raw.subscribe(a.endpoint, { callback: (_e, m) => { if (m.data[1] === 2) seen.push({ data: Uint8Array.from(m.data), reply: m.reply ?? '' }); } });
      await raw.flush();
      b.transport.send(a.endpoint, Buffer.from('real 1'));
      assert.ok(await nodes.settle(() => ea.count('b') === 1 && seen.length === 1));
      sub.unsubscribe();
      const original = seen[0];
      assert.is(original.reply, b.endpoint);
      assert.not.ok(Buffer.from(original.data).equals(encodeNatsMessage('frame', Buffer.from(original.data.subarray(2, 10)), Buffer.from('real 1'))), 'the frame goes with more than its payload');
      const tampered = Buffer.from(original.data);
      tampered[tampered.length - 17] ^= 0x01; // the payload's last byte
      raw.publish(a.endpoint, tampered, { reply: b.endpoint });
      await raw.flush();
      assert.ok(await nodes.settle(() => ea.rejections.length === 1));
      raw.publish(a.endpoint, original.data, { reply: b.endpoint }); // the untouched message, again
      await raw.flush();
      assert.ok(await nodes.settle(() => ea.rejections.length === 2));
      assert.equal(ea.rejections.map((r) => [r.remote, r.reason]), [[b.endpoint, 'auth-failed'], [b.endpoint, 'auth-failed']]);
      assert.match(ea.rejections[0].detail, /MAC does not verify/);
      assert.match(ea.rejections[1].detail, /replayed/);
      await keepsServing(nodes, a, b, ea, eb);
    } finally {
      await raw.close();
      await nodes.stopAll();
    }
  });

  test('a frame larger than the server\'s max_payload goes in sealed pieces and arrives whole', async () => {
    const nodes = natsNodes(url);
    try {
      const ea = recordEvents(true), eb = recordEvents(true);
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb);
      const big = Buffer.alloc(2_500_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      assert.ok(a.transport.send(b.endpoint, big));
      assert.ok(a.transport.send(b.endpoint, Buffer.from('after')));
      assert.ok(await nodes.settle(() => eb.frames.length === 2));
      assert.ok(eb.frames[0].bytes.equals(big), 'the big frame arrived byte for byte');
      assert.is(eb.frames[1].bytes.toString(), 'after');
      assert.equal(eb.rejections, []);
    } finally {
      await nodes.stopAll();
    }
  });

  test('a peer that lost its session (reset) takes the link down; the next send handshakes again on both sides', async () => {
    const nodes = natsNodes(url);
    const raw = await connect({ servers: url });
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb);
      a.transport.send(b.endpoint, Buffer.from('one'));
      assert.ok(await nodes.settle(() => eb.count('a') === 1));
      // What b would send after restarting: a reset from its subject, under a new instance id.
      raw.publish(a.endpoint, encodeNatsMessage('reset', Buffer.from(secureRandomBytes(8))), { reply: b.endpoint });
      await raw.flush();
      assert.ok(await nodes.settle(() => ea.downs.length === 1));
      assert.equal(ea.downs.map((d) => [d.peer, d.reason]), [['b', 'closed']]);
      a.transport.send(b.endpoint, Buffer.from('two'));
      assert.ok(await nodes.settle(() => eb.count('a') === 2));
      b.transport.send(a.endpoint, Buffer.from('back'));
      assert.ok(await nodes.settle(() => ea.count('b') === 1));
      assert.equal(eb.text.get('a'), ['one', 'two']);
      assert.equal(eb.downs.map((d) => [d.peer, d.reason]), [['a', 'closed']], 'b replaced its old session when a handshook again');
      assert.is(ea.ups.length, 2);
      assert.is(eb.ups.length, 2);
    } finally {
      await raw.close();
      await nodes.stopAll();
    }
  });

  test('stop: the peer sees linkDown, a restarted node with the same id links up again', async () => {
    const nodes = natsNodes(url);
    try {
      const ea = recordEvents(), eb = recordEvents(), eb2 = recordEvents();
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb);
      a.transport.send(b.endpoint, Buffer.from('one'));
      assert.ok(await nodes.settle(() => eb.count('a') === 1));
      await b.transport.stop();
      assert.equal(eb.downs.map((d) => [d.peer, d.reason]), [['a', 'stopped']]);
      assert.ok(await nodes.settle(() => ea.downs.length === 1));
      assert.equal(ea.downs.map((d) => [d.peer, d.endpoint, d.reason]), [['b', b.endpoint, 'closed']]);
      assert.not.ok(b.transport.send(a.endpoint, Buffer.from('after stop')));
      const b2 = await nodes.start('b', eb2);
      assert.is(b2.endpoint, b.endpoint);
      a.transport.send(b.endpoint, Buffer.from('two'));
      assert.ok(await nodes.settle(() => eb2.count('a') === 1));
      assert.equal(eb2.text.get('a'), ['two']);
      assert.is(ea.ups.length, 2);
    } finally {
      await nodes.stopAll();
    }
  });

  test('a frame over the receiver\'s maxFrameBytes closes the link with frame-too-large; send refuses frames over its own', async () => {
    const nodes = natsNodes(url);
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea);
      const b = await nodes.start('b', eb, { maxFrameBytes: 1024 });
      assert.not.ok(b.transport.send(a.endpoint, Buffer.alloc(1025)));
      a.transport.send(b.endpoint, Buffer.from('small'));
      assert.ok(await nodes.settle(() => eb.count('a') === 1));
      a.transport.send(b.endpoint, Buffer.alloc(2048, 1));
      assert.ok(await nodes.settle(() => eb.downs.length > 0 && ea.downs.length > 0));
      assert.equal(eb.downs.map((d) => [d.peer, d.reason]), [['a', 'frame-too-large']]);
      assert.equal(ea.downs.map((d) => [d.peer, d.reason]), [['b', 'closed']]);
      assert.equal(eb.text.get('a'), ['small']);
    } finally {
      await nodes.stopAll();
    }
  });
}

test('misuse fails fast: short secret, bad subject tokens, unreachable server', async () => {
  const scheduler = createRealScheduler();
  const ctx = (nodeId: string) => ({ nodeId, system: 'shop', scheduler, nonceBytes: secureRandomBytes, events: recordEvents() });
  assert.throws(() => createNatsTransport({ servers: 'nats://127.0.0.1:1', secret: 'short' }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => createNatsTransport({ servers: 'nats://127.0.0.1:1', secret: SECRET, subjectPrefix: 'a.*' }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  const bad = createNatsTransport({ servers: 'nats://127.0.0.1:1', secret: SECRET });
  try { await bad.start(ctx('node.1')); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument')); }
  const down = createNatsTransport({ servers: 'nats://127.0.0.1:1', secret: SECRET, connectTimeoutMs: 2_000 });
  try { await down.start(ctx('n1')); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'transport-closed'), String(e)); }
  assert.not.ok(down.send('troupe.shop.n2', Buffer.from('x')));
  await down.stop();
});

test.run();
