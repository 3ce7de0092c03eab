// Generators of input a peer that holds the cluster secret could send and that a node must drop
// and report: junk frames, envelopes with a wrong field, garbage refs in payloads, and system
// and cluster messages with bad addresses, bad members, bad manifests, `__proto__` keys.

import fc from 'fast-check';
import { REF_KEY } from '../../runtime/cluster/ref-codec.ts';
import type { InputDropReason } from '../../runtime/cluster/remoting.ts';
import { WIRE_PROTOCOL_VERSION } from '../../runtime/wire/envelope.ts';

/** How a node reports one bad input: an `input-dropped` cluster event, or a dead letter. */
export type Report = { readonly via: 'input-dropped'; readonly reason: InputDropReason } | { readonly via: 'dead-letter'; readonly reason: 'malformed-payload' };

/** One frame body a trusted peer sends, and the reports the receiver may give for it (exactly one of them). */
export interface BadInput {
  readonly name: string;
  readonly bytes: Buffer;
  readonly expect: readonly Report[];
}

/** Where the bad input goes: the receiver's system name and node id, and an actor address on it. */
export interface Target {
  readonly system: string;
  readonly node: string;
  /** The address of a live actor on the receiver (user envelopes go there). */
  readonly actor: string;
  /** The sender's node id. */
  readonly from: string;
}

const V = WIRE_PROTOCOL_VERSION;
/** A value written as `9e999` in the JSON text, which parses to Infinity. */
const HUGE = '__HUGE__';
const text = (v: unknown): string => JSON.stringify(v).replaceAll(`"${HUGE}"`, '9e999');
const dropped = (reason: InputDropReason): Report => ({ via: 'input-dropped', reason });
const MALFORMED_ENVELOPE = [dropped('malformed-envelope')];
const MALFORMED_MESSAGE = [dropped('malformed-message')];

/** Texts that are not actor addresses, some of them nearly. */
export const BAD_ADDRESSES: readonly string[] = [
  'garbage', '', 'troupe://', 'troupe://s@b', 'troupe://s@b/user/x', 'troupe://s@b/user/x#', 'troupe://s@b/user/x#-1',
  'troupe://s@b/user/x#1e3', 'troupe://s@b/user/x#99999999999999999999', 'troupe://@b/user/x#1', 'troupe://s@/user/x#1',
  'troupe://s b@n/user/x#1', 'troupe://s@b/user/x #1', '__proto__', 'constructor', `troupe://s@b/${'x'.repeat(5000)}`,
];
const badAddress = fc.oneof(fc.constantFrom(...BAD_ADDRESSES), fc.string({ maxLength: 40 }).filter((s) => !s.startsWith('troupe://')));

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', REF_KEY, 'type', 'x', ''];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 }));
/** A JSON object whose keys include prototype-pollution names (as own keys: Object.fromEntries). */
const object = fc.array(fc.tuple(key, fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 }).map((e) => Object.fromEntries(e) as Record<string, unknown>);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(HUGE, -1, 2 ** 53, 1e308, 1.5));
/** Anything JSON but a string (null excluded: it is valid where a field is optional). */
const notString = fc.oneof(fc.boolean(), number, fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), object);
const notObject = fc.oneof(fc.constant(null), fc.boolean(), number, fc.string({ maxLength: 10 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }));

/** Fields of one packed envelope: `[id, kind, enc, from, toIndex, type, typeVersion, correlationId, traceparent, payload]`. */
type Fields = unknown[];
const systemFields = (type: string, payload: unknown): Fields => ['fz.1', 1, 0, null, 0, type, 1, null, null, payload];
const packet = (to: string, ...envelopes: Fields[]): Buffer => Buffer.from(text([V, [to], ...envelopes]));

/** Whole frames that are not a packet: bytes, JSON that is not one, another protocol version. */
function wholeFrames(t: Target): fc.Arbitrary<BadInput> {
  const notPacket = fc.jsonValue({ maxDepth: 3 }).filter((v) => !(Array.isArray(v) && Array.isArray(v[1])));
  return fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => ({ name: 'random bytes', bytes: Buffer.from(b), expect: [...MALFORMED_ENVELOPE, dropped('protocol-version')] })),
    notPacket.map((v) => ({ name: `JSON that is not a packet: ${text(v).slice(0, 60)}`, bytes: Buffer.from(text(v)), expect: [...MALFORMED_ENVELOPE, dropped('protocol-version')] })),
    fc.constantFrom<unknown>(0, 2, 1.5, -1, HUGE, 1e308).map((v) => ({
      name: `packet of protocol ${String(v)}`, bytes: Buffer.from(text([v, [t.actor], systemFields('actor.watch', {})])), expect: [dropped('protocol-version')],
    })),
    fc.constantFrom<unknown>('1', null, [], {}).map((v) => ({
      name: `packet with version ${text(v)}`, bytes: Buffer.from(text([v, [t.actor], systemFields('actor.watch', {})])), expect: MALFORMED_ENVELOPE,
    })),
  );
}

/** One packed envelope with exactly one field wrong (or missing, or one too many). */
function brokenEnvelopes(t: Target): fc.Arbitrary<BadInput> {
  const good = (): Fields => ['fz.2', 0, 0, null, 0, 'note', 1, null, null, { type: 'note', text: 'never delivered' }];
  const at = (i: number, name: string, values: fc.Arbitrary<unknown>): fc.Arbitrary<BadInput> => values.map((v) => {
    const f = good();
    f[i] = v;
    return { name: `envelope with ${name} ${text(v).slice(0, 60)}`, bytes: packet(t.actor, f), expect: MALFORMED_ENVELOPE };
  });
  return fc.oneof(
    at(0, 'id', notString),
    at(1, 'kind', fc.oneof(notString, fc.constant(null)).filter((v) => v !== 0 && v !== 1)),
    at(2, 'enc', fc.oneof(notString, fc.constant(null)).filter((v) => v !== 0 && v !== 1 && v !== 2 && v !== 3)),
    at(3, 'from', notString),
    at(4, 'toIndex', fc.constantFrom<unknown>(-1, 1, 1.5, '0', '__proto__', 'length', null, HUGE, 2 ** 53)),
    at(5, 'type', fc.oneof(notString, fc.constant(null))),
    at(6, 'typeVersion', fc.constantFrom<unknown>(1.5, '1', null, HUGE, 2 ** 53, [], {})),
    at(7, 'correlationId', notString),
    at(8, 'traceparent', notString),
    fc.integer({ min: 0, max: 9 }).map((drop) => {
      const f = good();
      f.splice(drop, 1);
      return { name: `envelope missing field ${drop}`, bytes: packet(t.actor, f), expect: MALFORMED_ENVELOPE };
    }),
    fc.jsonValue({ maxDepth: 1 }).map((extra) => ({ name: 'envelope with an extra field', bytes: packet(t.actor, [...good(), extra]), expect: MALFORMED_ENVELOPE })),
    notObject.filter((v) => !Array.isArray(v)).map((v) => ({ name: `packed envelope ${text(v)}`, bytes: packet(t.actor, v as Fields), expect: MALFORMED_ENVELOPE })),
    fc.oneof(notString, fc.constant(null), fc.constantFrom('garbage', '{', '{"json":', '{"json":{},"meta":{"values":{"__proto__.polluted":["undefined"]}}}',
      '{"json":{"a":"x"},"meta":{"values":{"a":["bigint"]}}}', '{"json":[1],"meta":{"values":{"constructor.prototype.x":["undefined"]}}}',
      '{"json":{"a":"x"},"meta":{"values":"zz"}}', '{"json":{"a":"x"},"meta":{"referentialEqualities":{"a":["__proto__"]}}}')).map((p) => {
      const f = good();
      f[2] = 1; // superjson
      f[9] = p;
      return { name: `superjson payload ${text(p).slice(0, 60)}`, bytes: packet(t.actor, f), expect: MALFORMED_ENVELOPE };
    }),
  );
}

/** A user message to a live actor whose payload holds a ref that is not an address, somewhere. */
function garbageRefs(t: Target): fc.Arbitrary<BadInput> {
  return fc.tuple(object, badAddress, fc.array(fc.constantFrom('a', 'b', '__proto__', 'list'), { maxLength: 3 })).map(([body, address, path]) => {
    let ref: unknown = { [REF_KEY]: address };
    for (const k of [...path].reverse()) ref = k === 'list' ? [1, ref] : Object.fromEntries([[k, ref]]);
    const payload = Object.fromEntries([...Object.entries(body), ['type', 'note'], ['replyTo', ref]]);
    return {
      name: `garbage ref ${JSON.stringify(address.slice(0, 40))} at ${path.join('.') || 'top'}`,
      bytes: packet(t.actor, ['fz.3', 0, 2, null, 0, 'note', 1, null, null, payload]),
      expect: [{ via: 'dead-letter', reason: 'malformed-payload' }],
    };
  });
}

/** Watch, unwatch and terminated with a bad address or field, and unknown system types. */
function badSystemMessages(t: Target): fc.Arbitrary<BadInput> {
  const to = `troupe://${t.system}@${t.node}/system#0`;
  const sys = (type: string, payload: unknown): BadInput => ({ name: `${type} ${text(payload).slice(0, 80)}`, bytes: packet(to, systemFields(type, payload)), expect: MALFORMED_MESSAGE });
  const watchType = fc.constantFrom('actor.watch', 'actor.unwatch');
  return fc.oneof(
    fc.tuple(watchType, fc.oneof(badAddress, notString)).map(([type, watcher]) => sys(type, { target: t.actor, watcher })),
    fc.tuple(watchType, notString).map(([type, target]) => sys(type, { target, watcher: t.actor })),
    fc.tuple(fc.oneof(badAddress, notString), fc.constantFrom('normal', 'failure', 'bogus')).map(([ref, reason]) => sys('actor.terminated', { ref, watcher: t.actor, reason })),
    notString.map((watcher) => sys('actor.terminated', { ref: t.actor, watcher, reason: 'normal' })),
    fc.tuple(fc.constantFrom('actor.watch', 'actor.unwatch', 'actor.terminated', 'cluster.join', 'cluster.heartbeat', 'cluster.welcome'), notObject).map(([type, p]) => sys(type, p)),
    fc.string({ maxLength: 30 }).filter((s) => !['actor.watch', 'actor.unwatch', 'actor.terminated', 'cluster.join', 'cluster.heartbeat', 'cluster.welcome'].includes(s))
      .map((type) => sys(type, {})),
  );
}

/** Join, heartbeat and welcome with a bad member, a bad `from`, or (welcome) a bad manifest. */
function badClusterMessages(t: Target): fc.Arbitrary<BadInput> {
  const to = `troupe://${t.system}@${t.node}/system#0`;
  const sys = (type: string, payload: unknown): BadInput => ({ name: `${type} ${text(payload).slice(0, 80)}`, bytes: packet(to, systemFields(type, payload)), expect: MALFORMED_MESSAGE });
  const ghost = { node: 'ghost', endpoint: '127.0.0.1:1', incarnation: 1, status: 'up' };
  const badMember = fc.oneof(
    notObject,
    notString.map((node) => ({ ...ghost, node })),
    notString.map((endpoint) => ({ ...ghost, endpoint })),
    fc.constantFrom<unknown>(1.5, '1', null, HUGE, 2 ** 53, -0.5).map((incarnation) => ({ ...ghost, incarnation })),
    fc.oneof(fc.constantFrom<unknown>('__proto__', 'toString', 'constructor', 'hasOwnProperty', 'alive', 1, null), notString).map((status) => ({ ...ghost, status })),
    fc.constantFrom('node', 'endpoint', 'incarnation', 'status').map((k) => Object.fromEntries(Object.entries(ghost).filter(([n]) => n !== k))),
  );
  const badManifest = fc.oneof(
    notObject, fc.constant(undefined),
    fc.oneof(notObject, fc.constant([])).map((types) => ({ types })),
    fc.constantFrom<unknown>({ version: 0, minVersion: 1 }, { version: 1, minVersion: 2 }, { version: '1', minVersion: 1 }, { version: HUGE, minVersion: 1 }, null, 'x')
      .chain((entry) => fc.constantFrom('__proto__', 'note', 'constructor').map((name) => ({ types: Object.fromEntries([[name, entry]]) }))),
  );
  return fc.oneof(
    badMember.map((member) => sys('cluster.join', { member, manifest: { types: {} } })),
    notString.map((from) => sys('cluster.heartbeat', { from, members: [] })),
    notObject.filter((v) => !Array.isArray(v)).map((members) => sys('cluster.heartbeat', { from: t.from, members })),
    fc.array(badMember, { minLength: 1, maxLength: 3 }).map((members) => sys('cluster.heartbeat', { from: t.from, members })),
    badManifest.map((manifest) => sys('cluster.welcome', { from: t.from, members: [], manifest })),
  );
}

/**
 * Any one bad input for the receiver `t`: each must be dropped and give exactly one of its
 * `expect`ed reports, and nothing else.
 */
export function badInput(t: Target): fc.Arbitrary<BadInput> {
  return fc.oneof(wholeFrames(t), brokenEnvelopes(t), garbageRefs(t), badSystemMessages(t), badClusterMessages(t));
}

/** Encodes one user envelope to `to` as a packet (a good one, for mixing with bad ones). */
export function userPacket(to: string, type: string, payload: unknown): Buffer {
  return packet(to, ['fz.ok', 0, 0, null, 0, type, 1, null, null, payload]);
}

/** A packet of several packed envelopes to `to` (each as `Fields`). */
export function rawPacket(to: string, ...envelopes: unknown[][]): Buffer {
  return packet(to, ...envelopes);
}

/** The fields of a system envelope, for hand-written cases. */
export { systemFields };

/** The fixed seed of the fuzz specs; override with TROUPE_FUZZ_SEED to explore. fast-check prints the seed of a failure. */
export const FUZZ_SEED = Number(process.env.TROUPE_FUZZ_SEED ?? 20_250_801);
