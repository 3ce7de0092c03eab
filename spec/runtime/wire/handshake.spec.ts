import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createHandshake, type Handshake, type HandshakeOptions, type HandshakeStep } from '../../../runtime/wire/handshake.ts';
import { WIRE_PROTOCOL_VERSION } from '../../../runtime/wire/envelope.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

const SECRET = 'correct horse battery staple 42!';
const OTHER = 'a different secret, also long enough';

const side = (nodeId: string, seed: number, over: Partial<HandshakeOptions> = {}): Handshake =>
  createHandshake({ secret: SECRET, nodeId, system: 'shop', random: createSeededRandom(seed), ...over });

/** Runs both sides to completion, passing every message through `tamper`; returns each side's last step. */
function run(a: Handshake, b: Handshake, tamper: (from: 'a' | 'b', msg: Buffer, i: number) => Buffer = (_f, m) => m) {
  const queue: Array<{ to: 'a' | 'b'; msg: Buffer }> = [{ to: 'b', msg: a.start() }];
  const last: { a?: HandshakeStep; b?: HandshakeStep } = {};
  const sent: Array<{ from: 'a' | 'b'; msg: Buffer }> = [];
  for (let i = 0; queue.length > 0 && i < 20; i++) {
    const { to, msg } = queue.shift()!;
    const from = to === 'a' ? 'b' : 'a';
    const delivered = tamper(from, msg, i);
    sent.push({ from, msg: delivered });
    const target = to === 'a' ? a : b;
    if (target.state === 'failed' || target.state === 'established') continue;
    const step = target.receive(delivered);
    last[to] = step;
    for (const out of step.send) queue.push({ to: from, msg: out });
  }
  return { last, sent };
}

function failure(step: HandshakeStep | undefined): TroupeError {
  assert.ok(step && step.outcome === 'failed', `expected a failed step, got ${step?.outcome}`);
  return (step as Extract<HandshakeStep, { outcome: 'failed' }>).error;
}

function assertNoSecret(e: TroupeError): void {
  const text = `${e.message} ${JSON.stringify(e.data)} ${e.stack ?? ''}`;
  assert.not.ok(text.includes(SECRET) || text.includes(OTHER), 'error mentions a secret');
}

test('two nodes with the same secret authenticate each other', () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  const { last } = run(a, b);
  assert.is(a.state, 'established');
  assert.is(b.state, 'established');
  assert.equal(a.peer, { nodeId: 'node-b', system: 'shop', protocolVersion: WIRE_PROTOCOL_VERSION });
  assert.equal(b.peer, { nodeId: 'node-a', system: 'shop', protocolVersion: WIRE_PROTOCOL_VERSION });
  assert.equal(last.a, { outcome: 'established', send: [], peer: a.peer });
});

test('session keys: one per direction, matching across the two sides, fresh per handshake, never on the wire', () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  assert.is(a.sessionKeys, undefined);
  const { sent } = run(a, b);
  const ka = a.sessionKeys!, kb = b.sessionKeys!;
  assert.is(ka.send.length, 32);
  assert.ok(ka.send.equals(kb.receive), "a's send key is b's receive key");
  assert.ok(ka.receive.equals(kb.send), "a's receive key is b's send key");
  assert.not.ok(ka.send.equals(ka.receive), 'the two directions differ');
  const wire = Buffer.concat(sent.map((m) => m.msg)).toString('utf8');
  for (const k of [ka.send, ka.receive]) {
    assert.not.ok(wire.includes(k.toString('base64url')) || wire.includes(k.toString('base64')) || wire.includes(k.toString('hex')), 'a session key was sent');
  }
  const a2 = side('node-a', 3), b2 = side('node-b', 4);
  run(a2, b2);
  assert.not.ok(a2.sessionKeys!.send.equals(ka.send), 'new nonces give new keys');
  const c = side('node-a', 1, { secret: OTHER }), d = side('node-b', 2, { secret: OTHER });
  run(c, d);
  assert.not.ok(c.sessionKeys!.send.equals(ka.send), 'another secret gives other keys');
});

test('a side that receives before starting sends its hello first, then its proof', () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  const step = b.receive(a.start());
  assert.is(step.outcome, 'pending');
  assert.equal(step.send.map((m) => JSON.parse(m.toString()).t), ['troupe-hello', 'troupe-proof']);
  assert.is(b.state, 'awaiting-proof');
});

test('the same seeds give the same handshake bytes (deterministic nonces)', () => {
  assert.ok(side('node-a', 7).start().equals(side('node-a', 7).start()));
  assert.not.ok(side('node-a', 7).start().equals(side('node-a', 8).start()));
});

test('a wrong secret fails on both sides with auth-failed, and no secret appears in the errors', () => {
  const a = side('node-a', 1), b = side('node-b', 2, { secret: OTHER });
  const { last, sent } = run(a, b);
  const ea = failure(last.a), eb = failure(last.b);
  assert.is(ea.code, 'auth-failed');
  assert.is(eb.code, 'auth-failed');
  assertNoSecret(ea);
  assertNoSecret(eb);
  for (const { msg } of sent) assert.not.ok(msg.toString().includes(SECRET) || msg.toString().includes(OTHER));
  assert.is(a.peer, undefined);
  assert.is(b.peer, undefined);
});

test('a failed handshake stays failed', () => {
  const a = side('node-a', 1), b = side('node-b', 2, { secret: OTHER });
  const { last } = run(a, b);
  const again = a.receive(Buffer.from('{}'));
  assert.is(again.outcome, 'failed');
  assert.is(failure(again), failure(last.a));
});

test('tampering with any field of a hello or proof in transit fails the handshake', () => {
  const edits: Array<[string, (o: Record<string, unknown>) => void]> = [
    ['nonce', (o) => { if (o.t === 'troupe-hello' && typeof o.nonce === 'string') o.nonce = (o.nonce[0] === 'A' ? 'B' : 'A') + o.nonce.slice(1); }],
    ['nodeId', (o) => { if (o.t === 'troupe-hello') o.nodeId = 'node-evil'; }],
    ['mac', (o) => { if (o.t === 'troupe-proof' && typeof o.mac === 'string') o.mac = (o.mac[0] === 'A' ? 'B' : 'A') + o.mac.slice(1); }],
    ['mac length', (o) => { if (o.t === 'troupe-proof' && typeof o.mac === 'string') o.mac = o.mac.slice(0, 20); }],
    ['mac type', (o) => { if (o.t === 'troupe-proof') o.mac = 42; }],
  ];
  for (const [what, edit] of edits) {
    for (const victim of ['a', 'b'] as const) {
      const a = side('node-a', 1), b = side('node-b', 2);
      run(a, b, (from, msg) => {
        if (from !== victim) return msg;
        const o = JSON.parse(msg.toString());
        edit(o);
        return Buffer.from(JSON.stringify(o));
      });
      assert.ok(a.state === 'failed' || b.state === 'failed', `tampered ${what} from ${victim} went unnoticed`);
      assert.not.ok(a.state === 'established' && b.state === 'established');
    }
  }
});

test('a recorded session replayed to a new connection is refused', () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  const { sent } = run(a, b);
  const fromA = sent.filter((s) => s.from === 'a').map((s) => s.msg); // [hello_a, proof_a]
  assert.is(fromA.length, 2);
  const b2 = side('node-b', 3); // a later connection draws a fresh nonce
  b2.start();
  assert.is(b2.receive(fromA[0]).outcome, 'pending');
  const e = failure(b2.receive(fromA[1]));
  assert.is(e.code, 'auth-failed');
});

test("a peer's own proof reflected back to it is refused", () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  const helloA = a.start();
  const [helloB, proofB] = b.receive(helloA).send;
  // An attacker posing as node-a answers node-b's challenge with node-b's own proof.
  const e = failure(b.receive(proofB));
  assert.is(e.code, 'auth-failed');
  assert.ok(helloB.length > 0);
});

test('a peer echoing our nonce, claiming our node id or another system is auth-failed', () => {
  const cases: Array<(hello: Record<string, unknown>, mine: Record<string, unknown>) => void> = [
    (h, mine) => { h.nonce = mine.nonce; },
    (h) => { h.nodeId = 'node-b'; },
    (h) => { h.system = 'other-cluster'; },
  ];
  for (const edit of cases) {
    const a = side('node-a', 1), b = side('node-b', 2);
    const mine = JSON.parse(b.start().toString());
    const hello = JSON.parse(a.start().toString());
    edit(hello, mine);
    const step = b.receive(Buffer.from(JSON.stringify(hello)));
    assert.is(failure(step).code, 'auth-failed');
    const reject = JSON.parse(step.send[0].toString());
    assert.is(reject.t, 'troupe-reject');
    assert.is(a.receive(step.send[0]).outcome, 'failed', 'the rejection reaches the peer');
  }
});

test('another protocol version is protocol-version on both sides', () => {
  const a = side('node-a', 1, { protocolVersion: WIRE_PROTOCOL_VERSION + 1 }), b = side('node-b', 2);
  const { last } = run(a, b);
  assert.is(failure(last.b).code, 'protocol-version');
  assert.equal(failure(last.b).data.remote, WIRE_PROTOCOL_VERSION + 1);
  assert.is(failure(last.a).code, 'protocol-version');
});

test('out-of-order and foreign messages are refused', () => {
  const a = side('node-a', 1), b = side('node-b', 2);
  b.start();
  assert.is(failure(b.receive(Buffer.from(JSON.stringify({ t: 'troupe-proof', mac: 'x' })))).code, 'auth-failed');
  for (const bytes of ['GET / HTTP/1.1', 'null', '{"t":"what"}', JSON.stringify({ t: 'troupe-hello', protocolVersion: WIRE_PROTOCOL_VERSION, nodeId: 'x', system: 'shop', nonce: 'short' })]) {
    assert.is(failure(side('node-c', 3).receive(Buffer.from(bytes))).code, 'malformed-frame', bytes);
  }
  const c = side('node-c', 4);
  c.receive(a.start());
  assert.is(failure(c.receive(side('node-a', 5).start())).code, 'auth-failed', 'a second hello');
});

test('misuse throws invalid-argument without revealing the secret', () => {
  for (const over of [{ secret: 'short' }, { secret: new Uint8Array(8) }, { nodeId: '' }, { system: '' }]) {
    try {
      side('node-a', 1, over);
      assert.unreachable(JSON.stringify(over));
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'));
      assert.not.ok(`${e.message}${JSON.stringify(e.data)}`.includes('short'));
    }
  }
  const a = side('node-a', 1), b = side('node-b', 2);
  run(a, b);
  try {
    a.start();
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'invalid-argument'));
  }
  try {
    a.receive(Buffer.from('{}'));
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'invalid-argument'));
  }
});

test('a Uint8Array secret works the same as its string', () => {
  const a = side('node-a', 1), b = side('node-b', 2, { secret: new TextEncoder().encode(SECRET) });
  run(a, b);
  assert.is(a.state, 'established');
  assert.is(b.state, 'established');
});

test.run();
