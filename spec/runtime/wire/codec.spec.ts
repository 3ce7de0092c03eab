import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { decodeEnvelope, decodePacket, encodeEnvelope, encodePacket } from '../../../runtime/wire/codec.ts';
import { WIRE_PROTOCOL_VERSION, type Envelope } from '../../../runtime/wire/envelope.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

const base: Envelope = {
  v: WIRE_PROTOCOL_VERSION, id: 'm-1', kind: 'user', from: 'troupe://shop@a/user/x#1', to: 'troupe://shop@b/user/y#2',
  type: 'order.placed', typeVersion: 2, correlationId: 'c-9', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  payload: { sku: 'A1', qty: 2, tags: ['x'], nested: { ok: true, none: null } },
};

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isTroupeError(e), `expected a TroupeError, got ${String(e)}`);
    assert.is(e.code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** What decoding yields: every Envelope key present, absent optional fields as undefined. */
const full = (e: Envelope): Envelope => ({
  v: e.v, id: e.id, kind: e.kind, from: e.from, to: e.to, type: e.type, typeVersion: e.typeVersion,
  correlationId: e.correlationId, traceparent: e.traceparent, payload: e.payload, refs: e.refs ?? false,
});

test('a plain-JSON envelope round-trips', () => {
  assert.equal(decodeEnvelope(encodeEnvelope(base)), full(base));
});

test('protocol 1 wire form is one positional JSON array with the plain payload inline (golden)', () => {
  const text = encodeEnvelope(base).toString('utf8');
  assert.is(text, JSON.stringify([1, 'm-1', 0, 0, base.from, base.to, 'order.placed', 2, 'c-9', base.traceparent, base.payload]));
  const { from: _f, correlationId: _c, traceparent: _t, ...minimal } = base;
  const sys: Envelope = { ...minimal, kind: 'system', payload: null };
  assert.is(encodeEnvelope(sys).toString('utf8'), JSON.stringify([1, 'm-1', 1, 0, null, base.to, 'order.placed', 2, null, null, null]));
});

test('absent optional fields decode as undefined', () => {
  const { from: _f, correlationId: _c, traceparent: _t, ...minimal } = base;
  const back = decodeEnvelope(encodeEnvelope(minimal));
  assert.equal(back, full(minimal));
  assert.is(back.from, undefined);
  const sys: Envelope = { ...minimal, kind: 'system', payload: null };
  assert.equal(decodeEnvelope(encodeEnvelope(sys)), full(sys));
});

test('Date, Map, Set, BigInt and undefined payloads round-trip through superjson, nested as a string', () => {
  const payloads: unknown[] = [
    { at: new Date(Date.UTC(2024, 0, 2)), seen: new Set(['a', 'b']), byId: new Map([[1, { n: 10n }]]), gone: undefined },
    undefined, 12345678901234567890n, new Date(0), [1, undefined, 3], new Map(), { deep: [{ x: new Set([1]) }] },
  ];
  for (const payload of payloads) {
    const env: Envelope = { ...base, payload };
    const bytes = encodeEnvelope(env);
    const raw = JSON.parse(bytes.toString('utf8'));
    assert.is(raw[3], 1, 'marked as superjson');
    assert.type(raw[10], 'string');
    assert.equal(decodeEnvelope(bytes), full(env));
  }
  const back = decodeEnvelope(encodeEnvelope({ ...base, payload: { gone: undefined } })).payload as object;
  assert.ok('gone' in back, 'an undefined property survives as a key');
});

test('plain payloads do not go through superjson', () => {
  for (const payload of [null, 0, 'x', [1, 'a', [true]], { a: { b: [null] } }]) {
    const raw = JSON.parse(encodeEnvelope({ ...base, payload }).toString('utf8'));
    assert.is(raw[3], 0);
    assert.equal(raw[10], payload);
  }
});

test('fields beyond the Envelope shape are not written', () => {
  const extra = { ...base, secretStuff: 'x' } as Envelope;
  assert.not.ok(encodeEnvelope(extra).toString('utf8').includes('secretStuff'));
  assert.equal(decodeEnvelope(encodeEnvelope(extra)), full(base));
});

test('plain Uint8Array input decodes', () => {
  assert.equal(decodeEnvelope(new Uint8Array(encodeEnvelope(base))), full(base));
});

test('another protocol version is protocol-version, with both versions in data', () => {
  for (const bytes of [encodeEnvelope({ ...base, v: WIRE_PROTOCOL_VERSION + 1 }), Buffer.from('[2]')]) {
    try {
      decodeEnvelope(bytes);
      assert.unreachable();
    } catch (e) {
      assert.ok(isTroupeError(e, 'protocol-version'));
      assert.equal(e.data, { remote: WIRE_PROTOCOL_VERSION + 1, local: WIRE_PROTOCOL_VERSION });
    }
  }
});

test('malformed bytes and wrong shapes are malformed-frame', () => {
  const good = JSON.parse(encodeEnvelope(base).toString('utf8')) as unknown[];
  const edit = (i: number, value: unknown) => JSON.stringify(good.map((x, j) => (j === i ? value : x)));
  const bad: string[] = [
    '', 'not json', 'null', '"str"', '{}', JSON.stringify(base), '[]', '["1"]',
    JSON.stringify(good.slice(0, 10)), JSON.stringify([...good, 0]),
    edit(1, 5), edit(2, 2), edit(2, 'user'), edit(3, 4), edit(4, 3), edit(5, null), edit(6, {}), edit(7, 1.5), edit(7, '2'),
    edit(8, 1), edit(9, {}),
    JSON.stringify(good.map((x, j) => (j === 3 ? 1 : j === 10 ? {} : x))),
    JSON.stringify(good.map((x, j) => (j === 3 ? 1 : j === 10 ? '{not json' : x))),
  ];
  for (const text of bad) throwsCode(() => decodeEnvelope(Buffer.from(text)), 'malformed-frame');
  throwsCode(() => decodeEnvelope(Buffer.from([0xff, 0xfe, 0x00, 0x5b])), 'malformed-frame');
});

test('fuzz: corrupted envelopes decode or fail with a typed wire error (seeded, bounded)', () => {
  const sample = [encodeEnvelope(base), encodeEnvelope({ ...base, payload: { at: new Date(5), m: new Map([[1, 2]]) } })];
  let ok = 0, failed = 0;
  for (let seed = 1; seed <= 500; seed++) {
    const r = createSeededRandom(seed);
    const bytes = Buffer.from(sample[seed % 2]);
    for (let k = 1 + r.int(3); k > 0; k--) bytes[r.int(bytes.length)] = r.next() < 0.5 ? r.int(256) : 0x20 + r.int(0x5f);
    const input = r.next() < 0.2 ? Buffer.from(r.bytes(r.int(200))) : bytes;
    try {
      decodeEnvelope(input);
      ok++;
    } catch (e) {
      assert.ok(isTroupeError(e, 'malformed-frame') || isTroupeError(e, 'protocol-version'), `seed ${seed}: ${String(e)}`);
      failed++;
    }
  }
  assert.ok(ok > 0 && failed > 0, `fuzz should exercise both outcomes (ok ${ok}, failed ${failed})`);
});

test('a packet carries a turn\'s envelopes in one frame, each address once; a bad envelope in it is reported and skipped, the others kept in order', () => {
  const envs: Envelope[] = [base, { ...base, id: 'm-2', payload: { at: new Date(5) } }, { ...base, id: 'm-3', kind: 'system', to: 'troupe://shop@b/user/z#3' }];
  const errors: unknown[] = [];
  assert.equal(decodePacket(encodePacket(envs), (e) => errors.push(e)), envs.map(full));
  assert.equal(decodePacket(encodeEnvelope(base), (e) => errors.push(e)), [full(base)], 'a single envelope is a packet of one');
  const raw = JSON.parse(encodePacket(envs).toString('utf8')) as unknown[];
  assert.equal(raw[1], [base.to, 'troupe://shop@b/user/z#3'], 'each recipient address is written once');
  raw[3] = ['m-2', 9];
  raw.push(['garbage']);
  const back = decodePacket(Buffer.from(JSON.stringify(raw)), (e) => errors.push(e));
  assert.equal(back.map((e) => e.id), ['m-1', 'm-3']);
  assert.equal(errors.map((e) => (e as { code: string }).code), ['malformed-frame', 'malformed-frame']);
  raw[0] = WIRE_PROTOCOL_VERSION + 1;
  const whole = (bytes: Buffer): { envelopes: Envelope[]; codes: string[] } => {
    const codes: string[] = [];
    return { envelopes: decodePacket(bytes, (e) => codes.push(e.code)), codes };
  };
  assert.equal(whole(Buffer.from(JSON.stringify(raw))), { envelopes: [], codes: ['protocol-version'] }, 'another protocol version: reported, not thrown');
  assert.equal(whole(Buffer.from('[[1,')), { envelopes: [], codes: ['malformed-frame'] }, 'not JSON: reported, not thrown');
  assert.equal(whole(Buffer.from('"garbage"')), { envelopes: [], codes: ['malformed-frame'] });
  raw[0] = WIRE_PROTOCOL_VERSION;
  raw[2] = ['m-1', 0, 0, null, '__proto__', 't', 1, null, null, {}];
  raw[4] = ['m-3', 0, 0, null, 7, 't', 1, null, null, {}];
  assert.equal(whole(Buffer.from(JSON.stringify(raw))).codes, ['malformed-frame', 'malformed-frame', 'malformed-frame', 'malformed-frame'], 'a recipient index that is not one of the packet\'s is malformed');
});

test.run();
