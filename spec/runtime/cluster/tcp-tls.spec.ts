// Specs for TLS on the TCP transport: the transport contract over TLS, encrypted bytes on the
// wire, mutual TLS refusing a client without a valid certificate, and a rogue CA refused both ways.

import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createTcpTransport, type TcpTransportOptions } from '../../../runtime/cluster/tcp-transport.ts';
import type { Transport, TransportEvents } from '../../../runtime/cluster/transport.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { hasOpenssl, makeTestCerts, type TestCerts } from '../../helpers/test-certs.ts';
import { createRealTimeSettle, recordEvents, transportContract, within, type TransportHarness } from '../../helpers/transport-contract.ts';

const SECRET = 'tcp tls spec secret, at least 32 bytes';

/** TCP transports with TLS from `certs` (identity `a` unless told), fast reconnects; `stopAll` in `finally`. */
function tlsNodes(certs: TestCerts, limitMs = 10_000) {
  const scheduler = createRealScheduler();
  const settler = createRealTimeSettle(limitMs);
  const made: Transport[] = [];
  return {
    settle: settler.settle,
    async start(nodeId: string, events: TransportEvents, options: Partial<TcpTransportOptions> = {}) {
      const transport = createTcpTransport({
        secret: SECRET, reconnect: { minMs: 10, maxMs: 200 },
        tls: { key: certs.a.key, cert: certs.a.cert, ca: certs.ca, mutual: true }, ...options,
      });
      made.push(transport);
      const endpoint = await transport.start({ nodeId, system: 'contract', scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(events) });
      return { transport, endpoint };
    },
    async stopAll() { await within(Promise.all(made.map((t) => t.stop())), 'stopping every transport'); },
  };
}

if (hasOpenssl()) {
  const certs = makeTestCerts();
  const freed = async (): Promise<string> => {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return `127.0.0.1:${port}`;
  };

  transportContract('tcp+tls', async (): Promise<TransportHarness> => {
    const nodes = tlsNodes(certs);
    return { make: (nodeId, events) => nodes.start(nodeId, events), settle: nodes.settle, unreachableEndpoint: freed, cleanup: nodes.stopAll };
  });

  const test = suite('tcp transport: tls');

  test('frames cross a TLS link: nothing of the handshake or the payload shows on the wire', async () => {
    const nodes = tlsNodes(certs);
    const wire: Buffer[] = [];
    const sockets = new Set<Socket>();
    // A recording proxy in front of b: what a passive observer of the link would see.
    const proxy = createServer((client) => {
      const upstream = netConnect(Number(b.endpoint.split(':')[1]), '127.0.0.1');
      sockets.add(client).add(upstream);
      client.on('data', (d) => { wire.push(Buffer.from(d)); upstream.write(d); });
      upstream.on('data', (d) => { wire.push(Buffer.from(d)); client.write(d); });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
    let b: { transport: Transport; endpoint: string } = { transport: undefined as unknown as Transport, endpoint: '' };
    try {
      const ea = recordEvents(), eb = recordEvents();
      const a = await nodes.start('a', ea);
      b = await nodes.start('b', eb, { tls: { key: certs.b.key, cert: certs.b.cert, ca: certs.ca, mutual: true } });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const via = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      for (let i = 0; i < 20; i++) a.transport.send(via, Buffer.from(`confidential payload ${i}`));
      assert.ok(await nodes.settle(() => eb.count('a') === 20));
      assert.equal(eb.text.get('a'), Array.from({ length: 20 }, (_, i) => `confidential payload ${i}`));
      assert.equal(eb.ups, [{ peer: 'a', endpoint: a.endpoint }]);
      const seen = Buffer.concat(wire).toString('latin1');
      assert.ok(seen.length > 0);
      for (const plain of ['confidential', 'troupe-hello', 'troupe-proof', a.endpoint]) assert.not.ok(seen.includes(plain), `'${plain}' visible on the wire`);
    } finally {
      for (const s of sockets) s.destroy();
      proxy.close();
      await nodes.stopAll();
    }
  });

  test('mutual TLS: a client without a certificate, or with one from another CA, is refused and reported; the node keeps serving', async () => {
    const nodes = tlsNodes(certs);
    try {
      const eb = recordEvents(), em = recordEvents(), ea = recordEvents();
      const b = await nodes.start('b', eb, { tls: { key: certs.b.key, cert: certs.b.cert, ca: certs.ca, mutual: true } });
      const port = Number(b.endpoint.split(':')[1]);
      // No client certificate (it trusts b's CA and would otherwise go on to the handshake).
      const bare = tlsConnect({ host: '127.0.0.1', port, ca: certs.ca });
      bare.on('error', () => {});
      bare.on('secureConnect', () => bare.write('hello?'));
      assert.ok(await nodes.settle(() => eb.rejections.length === 1));
      assert.is(eb.rejections[0].reason, 'auth-failed');
      assert.match(eb.rejections[0].detail, /presented no certificate/);
      // A node with the cluster secret but a certificate from a rogue CA.
      const m = await nodes.start('m', em, { tls: { key: certs.rogue.key, cert: certs.rogue.cert, ca: certs.ca } });
      assert.ok(m.transport.send(b.endpoint, Buffer.from('let me in')));
      assert.ok(await nodes.settle(() => eb.rejections.length >= 2 && em.rejections.length >= 1));
      assert.is(eb.rejections[1].reason, 'auth-failed');
      assert.match(eb.rejections[1].detail, /client certificate was refused/);
      assert.is(em.rejections[0].remote, b.endpoint);
      assert.equal(eb.ups, []);
      assert.is(eb.text.size, 0, 'a frame from an unauthorized client was delivered');
      // A node with a valid certificate still gets through.
      const a = await nodes.start('a', ea);
      a.transport.send(b.endpoint, Buffer.from('welcome'));
      assert.ok(await nodes.settle(() => eb.count('a') === 1));
      assert.equal(eb.text.get('a'), ['welcome']);
      bare.destroy();
    } finally {
      await nodes.stopAll();
    }
  });

  test('a listener whose certificate comes from another CA is refused by the dialler (auth-failed); so is a plain TCP peer', async () => {
    const nodes = tlsNodes(certs);
    try {
      const ea = recordEvents(), em = recordEvents(), ep = recordEvents();
      const a = await nodes.start('a', ea);
      const m = await nodes.start('m', em, { tls: { key: certs.rogue.key, cert: certs.rogue.cert, ca: certs.ca } });
      assert.ok(a.transport.send(m.endpoint, Buffer.from('for a trusted peer only')));
      assert.ok(await nodes.settle(() => ea.rejections.length >= 1));
      assert.equal([ea.rejections[0].remote, ea.rejections[0].reason], [m.endpoint, 'auth-failed']);
      assert.match(ea.rejections[0].detail, /certificate/);
      assert.equal([...em.ups, ...ea.ups], []);
      assert.is(em.text.size, 0);
      // A node without TLS cannot talk to a TLS listener (and learns nothing from it).
      const plain = createTcpTransport({ secret: SECRET, reconnect: { minMs: 10, maxMs: 200 } });
      const settler = createRealTimeSettle();
      try {
        await plain.start({ nodeId: 'p', system: 'contract', scheduler: createRealScheduler(), nonceBytes: secureRandomBytes, events: settler.wrap(ep) });
        const before = ea.rejections.length;
        plain.send(a.endpoint, Buffer.from('in clear'));
        assert.ok(await nodes.settle(() => ea.rejections.length > before));
        assert.is(ea.rejections[before].reason, 'auth-failed');
        assert.match(ea.rejections[before].detail, /TLS handshake failed/);
        assert.is(ea.text.size, 0);
      } finally {
        await plain.stop();
      }
    } finally {
      await nodes.stopAll();
    }
  });

  test('tls without key or cert fails fast with invalid-argument', () => {
    assert.throws(() => createTcpTransport({ secret: SECRET, tls: { key: '', cert: certs.a.cert } }), /key and cert/);
  });

  test.run();
} else {
  console.warn('tcp tls specs skipped: the openssl command is not installed');
}
