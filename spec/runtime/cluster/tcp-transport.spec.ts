import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createTcpTransport, type TcpTransportOptions } from '../../../runtime/cluster/tcp-transport.ts';
import type { Transport, TransportEvents } from '../../../runtime/cluster/transport.ts';
import type { Scheduler, TimerId } from '../../../runtime/clock.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { createFrameDecoder, encodeFrame } from '../../../runtime/wire/frame.ts';
import { createHandshake } from '../../../runtime/wire/handshake.ts';
import { createRealTimeSettle, recordEvents, within, transportContract, type RealTimeSettle, type TransportHarness } from '../../helpers/transport-contract.ts';

const SECRET = 'tcp transport spec secret, 32+ bytes';
const OTHER_SECRET = 'some other cluster secret, also long';

/** The real scheduler, counting live timers (a stopped transport must leave none). */
function countingScheduler(): Scheduler & { readonly live: number } {
  const inner = createRealScheduler();
  const live = new Set<TimerId>();
  return {
    clock: inner.clock,
    soon: inner.soon,
    yieldThen: inner.yieldThen,
    startTimer(ms, fn) {
      const id: TimerId = inner.startTimer(ms, () => { live.delete(id); fn(); });
      live.add(id);
      return id;
    },
    cancelTimer(id) { live.delete(id); inner.cancelTimer(id); },
    get live() { return live.size; },
  };
}

/** Starts TCP transports on 127.0.0.1 with fast reconnects; `stopAll` in `finally`. */
function tcpNodes(limitMs = 10_000) {
  const scheduler = countingScheduler();
  const settler: RealTimeSettle = createRealTimeSettle(limitMs);
  const made: Transport[] = [];
  return {
    scheduler,
    settle: settler.settle,
    poke: settler.poke,
    async start(nodeId: string, events: TransportEvents, options: Partial<TcpTransportOptions> = {}) {
      const transport = createTcpTransport({ secret: SECRET, reconnect: { minMs: 10, maxMs: 200 }, ...options });
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system: 'contract', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(events) });
      return { transport, endpoint };
    },
    async stopAll() { await within(Promise.all(made.map((t) => t.stop())), 'stopping every transport'); },
  };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A loopback endpoint nobody listens on (a port just freed). */
async function freedEndpoint(): Promise<string> {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

transportContract('tcp', async (): Promise<TransportHarness> => {
  const nodes = tcpNodes();
  return {
    make: async (nodeId, events) => nodes.start(nodeId, events),
    settle: nodes.settle,
    unreachableEndpoint: freedEndpoint,
    cleanup: nodes.stopAll,
  };
});

const test = suite('tcp transport');

const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;

/** Polls `done` every 5 ms until it holds or `limitMs` passes (libuv releases closed handles a loop turn late). */
async function pollUntil(done: () => boolean, limitMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

test('binds 127.0.0.1 by default: the endpoint says so and other loopback addresses are refused', async () => {
  const nodes = tcpNodes();
  try {
    const { endpoint } = await nodes.start('a', recordEvents());
    assert.match(endpoint, /^127\.0\.0\.1:\d+$/);
    const port = Number(endpoint.split(':')[1]);
    const code = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.2');
      s.on('connect', () => { s.destroy(); resolve('connected'); });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.is(code, 'ECONNREFUSED');
  } finally {
    await nodes.stopAll();
  }
});

test('both sides report the link with the peer id and its listening endpoint', async () => {
  const nodes = tcpNodes();
  try {
    const ea = recordEvents(), eb = recordEvents();
    const a = await nodes.start('a', ea);
    const b = await nodes.start('b', eb);
    a.transport.send(b.endpoint, Buffer.from('x'));
    assert.ok(await nodes.settle(() => eb.count('a') === 1));
    assert.equal(ea.ups, [{ peer: 'b', endpoint: b.endpoint }]);
    assert.equal(eb.ups, [{ peer: 'a', endpoint: a.endpoint }]);
  } finally {
    await nodes.stopAll();
  }
});

test('a wrong secret is rejected as auth-failed on both sides and nothing is delivered', async () => {
  const nodes = tcpNodes();
  try {
    const ea = recordEvents(), eb = recordEvents();
    const a = await nodes.start('a', ea, { secret: OTHER_SECRET });
    const b = await nodes.start('b', eb);
    assert.ok(a.transport.send(b.endpoint, Buffer.from('let me in')));
    assert.ok(await nodes.settle(() => eb.rejections.length > 0 && ea.rejections.length > 0));
    assert.is(eb.rejections[0].reason, 'auth-failed');
    assert.match(eb.rejections[0].remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(ea.rejections[0].remote, b.endpoint);
    assert.is(ea.rejections[0].reason, 'auth-failed');
    assert.is(eb.text.size, 0, 'a frame was delivered');
    assert.equal(eb.ups, []);
    assert.equal(ea.ups, []);
    assert.not.ok(JSON.stringify([ea.rejections, eb.rejections]).includes(SECRET), 'a secret leaked into a report');
  } finally {
    await nodes.stopAll();
  }
});

test('a frame over the receiver\'s maxFrameBytes closes the link as frame-too-large; the sender refuses its own oversize frames', async () => {
  const nodes = tcpNodes();
  try {
    const ea = recordEvents(), eb = recordEvents();
    const a = await nodes.start('a', ea);
    const b = await nodes.start('b', eb, { maxFrameBytes: 1024 });
    assert.ok(a.transport.send(b.endpoint, Buffer.from('small')));
    assert.ok(await nodes.settle(() => eb.count('a') === 1));
    assert.ok(a.transport.send(b.endpoint, Buffer.alloc(2048, 1)));
    assert.ok(await nodes.settle(() => eb.downs.length > 0 && ea.downs.length > 0));
    assert.equal(eb.downs.map((d) => [d.peer, d.endpoint, d.reason]), [['a', a.endpoint, 'frame-too-large']]);
    assert.is(ea.downs[0].peer, 'b');
    assert.equal(eb.text.get('a'), ['small']);
    assert.is(b.transport.send(a.endpoint, Buffer.alloc(1025)), false, 'b sends nothing over its own limit');
    assert.ok(b.transport.send(a.endpoint, Buffer.alloc(1024)));
  } finally {
    await nodes.stopAll();
  }
});

/** A Troupe-speaking peer that completes the handshake, reads the announce, then stops reading. */
async function pausedPeer(onProgress: () => void) {
  const frames: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    const hs = createHandshake({ secret: SECRET, nodeId: 'slow', system: 'contract', random: createSeededRandom(3) });
    const decoder = createFrameDecoder();
    let phase: 'handshake' | 'announce' | 'frames' = 'handshake';
    socket.write(encodeFrame(hs.start()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (phase === 'handshake') {
          const step = hs.receive(f);
          for (const m of step.send) socket.write(encodeFrame(m));
          if (step.outcome === 'established') phase = 'announce';
        } else if (phase === 'announce') {
          phase = 'frames';
          socket.pause();
        } else {
          frames.push(Buffer.from(f));
        }
      }
      onProgress();
    });
  });
  const port = await listen(server);
  return {
    endpoint: `127.0.0.1:${port}`,
    frames,
    resume: () => { for (const s of sockets) s.resume(); },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('the outbound queue is bounded: send returns false while a peer does not read, and nothing accepted is lost', async () => {
  const nodes = tcpNodes();
  const peer = await pausedPeer(nodes.poke);
  try {
    const ea = recordEvents();
    const a = await nodes.start('a', ea, { maxQueuedBytes: 256 * 1024 });
    const frame = (seq: number): Buffer => { const b = Buffer.alloc(16 * 1024); b.writeUInt32BE(seq, 0); return b; };
    assert.ok(a.transport.send(peer.endpoint, frame(0)));
    assert.ok(await nodes.settle(() => ea.ups.length === 1), 'the link came up');
    let accepted = 1;
    let refused = false;
    for (let i = 0; i < 8192 && !refused; i++) { // at most 128 MiB offered; socket buffers hold far less
      if (a.transport.send(peer.endpoint, frame(accepted))) accepted++;
      else refused = true;
      await new Promise<void>((resolve) => setImmediate(resolve)); // let flushes and I/O run
    }
    assert.ok(refused, 'send never returned false');
    peer.resume();
    assert.ok(await nodes.settle(() => peer.frames.length >= accepted), `received ${peer.frames.length} of ${accepted}`);
    assert.is(peer.frames.length, accepted);
    assert.ok(peer.frames.every((f, i) => f.readUInt32BE(0) === i && f.length === 16 * 1024), 'frames out of order');
    assert.ok(a.transport.send(peer.endpoint, frame(accepted)), 'send accepts again once the queue drained');
  } finally {
    await nodes.stopAll();
    await peer.close();
  }
});

test('frames queued while the peer is down are delivered after it restarts on the same port', async () => {
  const nodes = tcpNodes();
  try {
    const ea = recordEvents(), eb = recordEvents(), eb2 = recordEvents();
    const a = await nodes.start('a', ea);
    const b = await nodes.start('b', eb);
    assert.ok(a.transport.send(b.endpoint, Buffer.from('one')));
    assert.ok(await nodes.settle(() => eb.count('a') === 1));
    await within(b.transport.stop(), 'stopping b');
    assert.ok(await nodes.settle(() => ea.downs.length === 1));
    assert.ok(a.transport.send(b.endpoint, Buffer.from('two')));
    assert.ok(a.transport.send(b.endpoint, Buffer.from('three')));
    assert.ok(await nodes.settle(() => ea.rejections.length > 0), 'a reconnect attempt failed while b was down');
    const port = Number(b.endpoint.split(':')[1]);
    const b2 = await nodes.start('b', eb2, { port });
    assert.is(b2.endpoint, b.endpoint);
    assert.ok(await nodes.settle(() => eb2.count('a') === 2));
    assert.equal(eb2.text.get('a'), ['two', 'three']);
    assert.equal(ea.ups.map((u) => u.endpoint), [b.endpoint, b.endpoint]);
    assert.ok(ea.rejections.every((r) => r.remote === b.endpoint && r.reason !== 'auth-failed'));
  } finally {
    await nodes.stopAll();
  }
});

test('a connection that never completes the handshake is closed as handshake-timeout', async () => {
  const nodes = tcpNodes();
  try {
    const eb = recordEvents();
    const b = await nodes.start('b', eb, { handshakeTimeoutMs: 50 });
    const port = Number(b.endpoint.split(':')[1]);
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => {});
    let closed = false;
    raw.on('close', () => { closed = true; nodes.poke(); });
    raw.resume();
    await new Promise((resolve) => raw.once('connect', resolve));
    const remote = `127.0.0.1:${raw.localPort}`;
    assert.ok(await nodes.settle(() => closed && eb.rejections.length === 1));
    assert.equal(eb.rejections.map((r) => [r.remote, r.reason]), [[remote, 'handshake-timeout']]);
  } finally {
    await nodes.stopAll();
  }
});

test('after the handshake, a frame cut short closes the link as malformed-frame', async () => {
  const nodes = tcpNodes();
  try {
    const eb = recordEvents();
    const b = await nodes.start('b', eb);
    const port = Number(b.endpoint.split(':')[1]);
    // A client that speaks the protocol: handshake, announce, one good frame, then half a frame.
    const hs = createHandshake({ secret: SECRET, nodeId: 'raw', system: 'contract', random: createSeededRandom(5) });
    const decoder = createFrameDecoder();
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => {});
    raw.write(encodeFrame(hs.start()));
    raw.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        if (hs.state === 'established') continue;
        const step = hs.receive(m);
        for (const out of step.send) raw.write(encodeFrame(out));
        if (step.outcome === 'established') {
          raw.write(encodeFrame(Buffer.from('127.0.0.1:9')));
          raw.write(encodeFrame(Buffer.from('whole')));
          raw.end(encodeFrame(Buffer.from('cut short')).subarray(0, 7));
        }
      }
    });
    assert.ok(await nodes.settle(() => eb.downs.length === 1));
    assert.equal(eb.ups, [{ peer: 'raw', endpoint: '127.0.0.1:9' }]);
    assert.equal(eb.text.get('raw'), ['whole']);
    assert.equal(eb.downs.map((d) => [d.peer, d.endpoint, d.reason]), [['raw', '127.0.0.1:9', 'malformed-frame']]);
    assert.equal(eb.rejections, []);
  } finally {
    await nodes.stopAll();
  }
});

test('stop closes every socket and the server and cancels every timer', async () => {
  const nodes = tcpNodes();
  await pollUntil(() => tcpHandles() === 0); // handles of earlier specs finish closing
  const before = tcpHandles();
  const ea = recordEvents(), eb = recordEvents();
  const a = await nodes.start('a', ea);
  const b = await nodes.start('b', eb);
  a.transport.send(b.endpoint, Buffer.from('ab'));
  b.transport.send(a.endpoint, Buffer.from('ba'));
  const nowhere = await freedEndpoint();
  a.transport.send(nowhere, Buffer.from('retrying'));
  assert.ok(await nodes.settle(() => ea.count('b') === 1 && eb.count('a') === 1 && ea.rejections.length > 0));
  assert.ok(nodes.scheduler.live > 0, 'a reconnect timer is pending');
  await nodes.stopAll();
  assert.is(nodes.scheduler.live, 0, 'timers left after stop');
  assert.ok(await pollUntil(() => tcpHandles() <= before), `TCP handles left after stop: ${tcpHandles()} (before: ${before})`);
  assert.ok(ea.downs.concat(eb.downs).some((d) => d.reason === 'stopped'));
});

test('options are validated when the transport is created or started', async () => {
  const throwsInvalid = (f: () => unknown): void => {
    try { f(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument'), String(e)); return; }
    assert.unreachable('did not throw');
  };
  throwsInvalid(() => createTcpTransport({ secret: 'short' }));
  throwsInvalid(() => createTcpTransport({ secret: SECRET, port: 70_000 }));
  throwsInvalid(() => createTcpTransport({ secret: SECRET, maxQueuedBytes: 0 }));
  throwsInvalid(() => createTcpTransport({ secret: SECRET, reconnect: { minMs: 500, maxMs: 100 } }));
  const unstarted = createTcpTransport({ secret: SECRET });
  assert.is(unstarted.send('127.0.0.1:1', Buffer.from('x')), false);
  await within(unstarted.stop(), 'stopping an unstarted transport');

  const nodes = tcpNodes();
  try {
    const a = await nodes.start('a', recordEvents());
    const port = Number(a.endpoint.split(':')[1]);
    try {
      await nodes.start('b', recordEvents(), { port });
      assert.unreachable('listened on a port in use');
    } catch (e) {
      assert.ok(isTroupeError(e, 'transport-closed'), String(e));
    }
    try {
      await a.transport.start({ nodeId: 'a', system: 'contract', scheduler: nodes.scheduler, nonceBytes: secureRandomBytes, events: recordEvents() });
      assert.unreachable('started twice');
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
    }
    assert.is(a.transport.send('not an endpoint', Buffer.from('x')), false);
  } finally {
    await nodes.stopAll();
  }
});

test.run();
