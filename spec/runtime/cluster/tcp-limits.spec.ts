// Specs for the TCP listener's limits: the admission rules as a pure table (fake clock), then a
// real listener refusing extra connections from 127.0.0.1 and a handshake burst, still serving.

import { connect, type Socket } from 'node:net';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import type { Clock, Scheduler } from '../../../runtime/clock.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createTcpAdmission } from '../../../runtime/cluster/internal/tcp-admission.ts';
import { createTcpTransport, type TcpTransportOptions } from '../../../runtime/cluster/tcp-transport.ts';
import type { Transport, TransportEvents } from '../../../runtime/cluster/transport.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { createRealTimeSettle, recordEvents, within } from '../../helpers/transport-contract.ts';

const SECRET = 'tcp limits spec secret, 32+ bytes long';

const test = suite('tcp transport: listener limits');

const manualClock = (): Clock & { advance(ms: number): void } => {
  let now = 0;
  return { now: () => now, advance: (ms) => { now += ms; } };
};

test('admission: the per-address cap counts open connections and frees a slot on release', () => {
  const clock = manualClock();
  const adm = createTcpAdmission({ maxConnectionsPerAddress: 2, handshakesPerSecond: 1_000, handshakeBurst: 1_000, clock });
  const first = adm.admit('10.0.0.1'), second = adm.admit('10.0.0.1'), third = adm.admit('10.0.0.1');
  assert.equal([first.admitted, second.admitted, third.admitted], [true, true, false]);
  assert.ok(!third.admitted && third.detail.includes('maxConnectionsPerAddress 2'));
  assert.ok(adm.admit('10.0.0.2').admitted, 'another address has its own count');
  if (first.admitted) { first.release(); first.release(); } // release is idempotent
  assert.is(adm.open('10.0.0.1'), 1);
  assert.ok(adm.admit('10.0.0.1').admitted);
});

test('admission: a burst of handshakeBurst, then handshakesPerSecond refilled on the clock, never above the burst', () => {
  const clock = manualClock();
  const adm = createTcpAdmission({ maxConnectionsPerAddress: 1_000, handshakesPerSecond: 2, handshakeBurst: 3, clock });
  const take = (n: number): boolean[] => Array.from({ length: n }, (_, i) => adm.admit(`10.0.0.${i}`).admitted);
  assert.equal(take(4), [true, true, true, false]);
  clock.advance(499);
  assert.equal(take(1), [false], 'not yet a whole token');
  clock.advance(1);
  assert.equal(take(2), [true, false]);
  clock.advance(60_000);
  assert.equal(take(4), [true, true, true, false], 'a long pause refills only up to the burst');
  const refused = adm.admit('10.9.9.9');
  assert.ok(!refused.admitted && refused.detail.includes('per second'));
});

test('limits are validated', () => {
  for (const limits of [{ maxConnectionsPerAddress: 0 }, { handshakesPerSecond: 0 }, { handshakeBurst: 1.5 }]) {
    assert.throws(() => createTcpTransport({ secret: SECRET, limits }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  }
});

/** Transports on the real scheduler whose clock stands still unless advanced (the rate limit's clock). */
function limitedNodes() {
  const real = createRealScheduler();
  let offset = 0;
  const frozen = real.clock.now();
  const scheduler: Scheduler = { ...real, clock: { now: () => frozen + offset } };
  const settler = createRealTimeSettle(10_000);
  const made: Transport[] = [];
  const sockets: Socket[] = [];
  return {
    settle: settler.settle,
    advance: (ms: number) => { offset += ms; },
    async start(nodeId: string, events: TransportEvents, options: Partial<TcpTransportOptions> = {}) {
      const transport = createTcpTransport({ secret: SECRET, reconnect: { minMs: 10, maxMs: 100 }, ...options });
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system: 'contract', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(events) });
      return { transport, endpoint };
    },
    /** Opens `n` idle TCP connections (they never handshake) to `endpoint`; each records whether the server closed it. */
    idle(endpoint: string, n: number): Array<{ closed: boolean }> {
      return Array.from({ length: n }, () => {
        const state = { closed: false };
        const s = connect(Number(endpoint.split(':')[1]), '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => { state.closed = true; settler.poke(); });
        sockets.push(s);
        return state;
      });
    },
    async stopAll() {
      for (const s of sockets) s.destroy();
      await within(Promise.all(made.map((t) => t.stop())), 'stopping every transport');
    },
  };
}

test('more connections from 127.0.0.1 than maxConnectionsPerAddress: the extra ones are closed and reported; the node keeps serving', async () => {
  const nodes = limitedNodes();
  try {
    const ea = recordEvents(), eb = recordEvents();
    const a = await nodes.start('a', ea, { limits: { maxConnectionsPerAddress: 3 }, handshakeTimeoutMs: 60_000 });
    const b = await nodes.start('b', eb);
    b.transport.send(a.endpoint, Buffer.from('one'));
    assert.ok(await nodes.settle(() => ea.count('b') === 1), 'b is linked (one of the three slots)');
    const idle = nodes.idle(a.endpoint, 4);
    assert.ok(await nodes.settle(() => ea.rejections.length === 2 && idle.filter((s) => s.closed).length === 2));
    assert.equal(ea.rejections.map((r) => r.reason), ['over-limit', 'over-limit']);
    for (const r of ea.rejections) {
      assert.match(r.remote, /^127\.0\.0\.1:\d+$/);
      assert.match(r.detail, /maxConnectionsPerAddress 3/);
    }
    b.transport.send(a.endpoint, Buffer.from('two'));
    assert.ok(await nodes.settle(() => ea.count('b') === 2), 'the established link keeps serving');
    assert.equal(ea.text.get('b'), ['one', 'two']);
    assert.equal(ea.downs, []);
  } finally {
    await nodes.stopAll();
  }
});

test('a burst over handshakeBurst is refused as over-limit; once tokens refill, new peers link up', async () => {
  const nodes = limitedNodes();
  try {
    const ea = recordEvents(), eb = recordEvents();
    const a = await nodes.start('a', ea, { limits: { handshakesPerSecond: 1, handshakeBurst: 3 }, handshakeTimeoutMs: 60_000 });
    const idle = nodes.idle(a.endpoint, 5);
    assert.ok(await nodes.settle(() => ea.rejections.length === 2 && idle.filter((s) => s.closed).length === 2));
    assert.equal(ea.rejections.map((r) => r.reason), ['over-limit', 'over-limit']);
    assert.match(ea.rejections[0].detail, /per second/);
    nodes.advance(10_000); // the bucket refills (to its burst of 3)
    const b = await nodes.start('b', eb);
    b.transport.send(a.endpoint, Buffer.from('after the burst'));
    assert.ok(await nodes.settle(() => ea.count('b') === 1));
    assert.is(ea.rejections.length, 2);
  } finally {
    await nodes.stopAll();
  }
});

test.run();
