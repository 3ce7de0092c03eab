import { connect } from 'node:net';
import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import type { LinkCloseReason, Transport } from '../../../runtime/cluster/transport.ts';
import { createSeededRandom, type Random } from '../../../runtime/random.ts';
import { createRealScheduler, secureRandomBytes } from '../../../runtime/real-clock.ts';
import { WIRE_PROTOCOL_VERSION } from '../../../runtime/wire/envelope.ts';
import { createFrameDecoder, encodeFrame } from '../../../runtime/wire/frame.ts';
import { createHandshake } from '../../../runtime/wire/handshake.ts';
import { createRealTimeSettle, recordEvents, within } from '../../helpers/transport-contract.ts';

const SECRET = 'tcp fuzz spec secret, at least 32 b';
const SYSTEM = 'fuzz';
const CONNECTIONS = 200;
const PARALLEL = 10;

/** One hostile or broken client: what it writes, whether it then ends its side, what the node must report. */
interface Attack {
  readonly name: string;
  readonly chunks: Buffer[];
  readonly end: boolean;
  /** Reasons the node may report; the first is expected whenever the attack is deterministic. */
  readonly reasons: readonly LinkCloseReason[];
  /** Answers the node's handshake messages (for attacks that get past the hello). */
  readonly reply?: (msg: Buffer) => Buffer[];
}

const frame = (o: unknown): Buffer => encodeFrame(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)));
const nonce = (r: Random): string => Buffer.from(r.bytes(32)).toString('base64url');
const hello = (r: Random, over: Record<string, unknown> = {}): Buffer =>
  frame({ t: 'troupe-hello', protocolVersion: WIRE_PROTOCOL_VERSION, nodeId: `fuzz-${r.int(1e6)}`, system: SYSTEM, nonce: nonce(r), ...over });

/** Splits `bytes` into 1–4 random pieces (written separately, so the node sees partial reads). */
function pieces(r: Random, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (let n = 1 + r.int(4); n > 1 && off < bytes.length; n--) {
    const cut = off + r.int(bytes.length - off + 1);
    out.push(bytes.subarray(off, cut));
    off = cut;
  }
  out.push(bytes.subarray(off));
  return out.filter((b) => b.length > 0);
}

function attack(i: number, r: Random): Attack {
  const ANY: LinkCloseReason[] = ['malformed-frame', 'frame-too-large', 'closed', 'handshake-timeout', 'auth-failed', 'protocol-version'];
  switch (i % 13) {
    case 0: return { name: 'random bytes, then end', chunks: pieces(r, Buffer.from(r.bytes(1 + r.int(300)))), end: true, reasons: ANY };
    case 1: return { name: 'random body in a well-formed frame', chunks: pieces(r, encodeFrame(Buffer.from(r.bytes(r.int(300))))), end: false, reasons: ['malformed-frame'] };
    case 10: {
      const shapes: unknown[] = [
        [], 42, null, { t: 'troupe-hello' }, { t: 'troupe-hello', protocolVersion: WIRE_PROTOCOL_VERSION, nodeId: '', system: SYSTEM, nonce: 'short' },
        { t: 'something-else' }, { t: 'troupe-hello', protocolVersion: WIRE_PROTOCOL_VERSION, nodeId: 'x'.repeat(300), system: SYSTEM, nonce: nonce(r) },
      ];
      return { name: 'JSON that is not a hello', chunks: [frame(shapes[r.int(shapes.length)])], end: false, reasons: ['malformed-frame', 'protocol-version'] };
    }
    case 11: return { name: 'a proof before any hello', chunks: [frame({ t: 'troupe-proof', mac: nonce(r) })], end: false, reasons: ['auth-failed'] };
    case 12: {
      const h = hello(r);
      return { name: 'half a hello, left open', chunks: [h.subarray(0, 4 + r.int(h.length - 4))], end: false, reasons: ['handshake-timeout'] };
    }
    case 2: {
      const length = 10 + r.int(1000);
      const cut = Buffer.concat([Buffer.from([0, 0, length >> 8, length & 0xff]), Buffer.from(r.bytes(r.int(length)))]);
      return { name: 'truncated frame', chunks: pieces(r, cut), end: true, reasons: ['malformed-frame'] };
    }
    case 3: {
      const big = Buffer.alloc(4);
      big.writeUInt32BE(r.int(2) === 0 ? 0xffffffff : 4097 + r.int(1 << 30), 0);
      return { name: 'huge length prefix', chunks: [big, Buffer.from(r.bytes(r.int(64)))], end: false, reasons: ['frame-too-large'] };
    }
    case 4: return {
      name: 'valid hello, forged proof', end: false, reasons: ['auth-failed'],
      chunks: pieces(r, Buffer.concat([hello(r), frame({ t: 'troupe-proof', mac: Buffer.from(r.bytes(32)).toString('base64url') })])),
    };
    case 5: return { name: 'hello of another protocol version', chunks: [hello(r, { protocolVersion: WIRE_PROTOCOL_VERSION + 1 + r.int(5) })], end: false, reasons: ['protocol-version'] };
    case 6: return { name: 'hello of another system', chunks: [hello(r, { system: 'elsewhere' })], end: false, reasons: ['auth-failed'] };
    case 7: return { name: 'connect and close at once', chunks: [], end: true, reasons: ['closed'] };
    case 8: {
      // A real handshake with the wrong secret: the node must verify the proof, not just parse it.
      const hs = createHandshake({ secret: 'the wrong secret, long enough 123', nodeId: `intruder-${i}`, system: SYSTEM, random: r });
      const first = encodeFrame(hs.start());
      return {
        name: 'full handshake with a wrong secret', chunks: [first], end: false, reasons: ['auth-failed'],
        reply: (msg) => (hs.state === 'failed' ? [] : hs.receive(msg).send.map((m) => encodeFrame(m))),
      };
    }
    default: {
      // The right secret, then a bogus endpoint announce: trusted crypto, still not a node.
      const hs = createHandshake({ secret: SECRET, nodeId: `liar-${i}`, system: SYSTEM, random: r });
      const first = encodeFrame(hs.start());
      return {
        name: 'right secret, malformed announce', chunks: [first], end: false, reasons: ['malformed-frame'],
        reply: (msg) => {
          if (hs.state === 'established' || hs.state === 'failed') return [];
          const step = hs.receive(msg);
          const out = step.send.map((m) => encodeFrame(m));
          if (step.outcome === 'established') out.push(encodeFrame(Buffer.from(r.bytes(1 + r.int(40)))));
          return out;
        },
      };
    }
  }
}

/** Runs one attack; resolves with the client's local port once the node has closed the socket. */
function run(port: number, a: Attack, onClosed: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const decoder = createFrameDecoder({ maxFrameBytes: 4096 });
    let localPort = 0;
    socket.on('error', () => {}); // resets are expected; the node may close mid-write
    socket.on('connect', () => {
      localPort = socket.localPort ?? 0;
      for (const c of a.chunks) socket.write(c);
      if (a.end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!a.reply) return;
      try {
        for (const m of decoder.push(chunk)) for (const out of a.reply(m)) socket.write(out);
      } catch { /* the node's bytes are fine; our own attack state may be done */ }
    });
    const guard = setTimeout(() => { socket.destroy(); reject(new Error(`${a.name}: the node did not close the connection`)); }, 10_000);
    socket.on('close', () => { clearTimeout(guard); onClosed(); resolve(localPort); });
  });
}

test(`${CONNECTIONS} hostile connections are each closed and reported once; a real peer still gets through`, async () => {
  const scheduler = createRealScheduler();
  const settler = createRealTimeSettle(15_000);
  const eb = recordEvents(), ea = recordEvents();
  const nodes: Transport[] = [];
  try {
    // Limits raised: this spec is about hostile bytes, not connection counts (tcp-limits.spec.ts is).
    const b = createTcpTransport({ secret: SECRET, handshakeTimeoutMs: 250, maxFrameBytes: 64 * 1024, limits: { handshakesPerSecond: 100_000, handshakeBurst: 100_000 } });
    nodes.push(b);
    const bEndpoint = await b.start({ nodeId: 'server', system: SYSTEM, scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(eb) });
    const port = Number(bEndpoint.split(':')[1]);

    const random = createSeededRandom(20_240_601);
    const attacks = Array.from({ length: CONNECTIONS }, (_, i) => attack(i, random));
    const ports = new Map<number, Attack>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < attacks.length) {
        const a = attacks[next++];
        ports.set(await run(port, a, settler.poke), a);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    assert.is(ports.size, CONNECTIONS, 'every attack ran on its own connection');

    assert.ok(await settler.settle(() => eb.rejections.length >= CONNECTIONS), `reported ${eb.rejections.length} of ${CONNECTIONS}`);
    const byRemote = new Map(eb.rejections.map((r) => [r.remote, r]));
    assert.is(byRemote.size, CONNECTIONS, 'one report per connection');
    for (const [localPort, a] of ports) {
      const r = byRemote.get(`127.0.0.1:${localPort}`);
      assert.ok(r, `${a.name}: not reported`);
      assert.ok(a.reasons.includes(r.reason), `${a.name}: reported ${r.reason} (${r.detail})`);
    }
    assert.equal(eb.ups, []);
    assert.is(eb.text.size, 0, 'a hostile connection delivered a frame');

    const a = createTcpTransport({ secret: SECRET });
    nodes.push(a);
    await a.start({ nodeId: 'friend', system: SYSTEM, scheduler, nonceBytes: secureRandomBytes, events: settler.wrap(ea) });
    for (let i = 0; i < 100; i++) assert.ok(a.send(bEndpoint, Buffer.from(`hello ${i}`)));
    assert.ok(await settler.settle(() => eb.count('friend') === 100));
    assert.equal(eb.text.get('friend'), Array.from({ length: 100 }, (_, i) => `hello ${i}`));
    assert.is(eb.rejections.length, CONNECTIONS, 'the real peer was not rejected');
  } finally {
    await within(Promise.all(nodes.map((n) => n.stop())), 'stopping the nodes');
  }
});

test.run();
