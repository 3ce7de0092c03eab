// What receptionists on different nodes say to each other (full syncs, deltas, status digests),
// as plain data with validators, and the helper that declares them in a node's registry.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import { isInstanceMetadata, type InstanceMetadata } from './receptionist-service.ts';

/** One registration on the wire; `ref` travels as its address and is revived by remoting. */
export interface WireEntry {
  readonly key: string;
  readonly ref: ActorRef<unknown>;
  readonly metadata: InstanceMetadata;
}

/** One change of a node's local registrations. */
export type WireChange =
  | { readonly op: 'put'; readonly key: string; readonly ref: ActorRef<unknown>; readonly metadata: InstanceMetadata }
  | { readonly op: 'remove'; readonly key: string; readonly ref: ActorRef<unknown> };

/** Fields every peer message carries: who sends, which incarnation, at which version of its registrations. */
interface PeerHeader {
  readonly from: string;
  readonly incarnation: number;
  readonly version: number;
  /** The sender's receptionist, so the receiver can answer without an identify round trip. */
  readonly receptionist: ActorRef<PeerMsg>;
}

/**
 * The messages receptionists exchange. Every local change bumps the sender's `version` by one
 * and goes out as a `delta`; a receiver applies deltas in version order and asks for a full
 * `sync` (a `status` with `pull: true`) when it sees a gap, a new incarnation, or a `status`
 * digest ahead of what it holds. `sync.reply` asks the receiver to answer with its own sync.
 */
export type PeerMsg =
  | ({ readonly type: 'receptionist.sync'; readonly entries: readonly WireEntry[]; readonly reply: boolean } & PeerHeader)
  | ({ readonly type: 'receptionist.delta'; readonly changes: readonly WireChange[] } & PeerHeader)
  | ({ readonly type: 'receptionist.status'; readonly pull: boolean } & PeerHeader);

/** The message types {@link registerReceptionistMessages} declares, all at version 1. */
export const RECEPTIONIST_MESSAGE_TYPES = ['receptionist.sync', 'receptionist.delta', 'receptionist.status'] as const;

const isNat = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isRef = (v: unknown): boolean => v instanceof ActorRef;

function header(p: Record<string, unknown>): true | string {
  if (typeof p.from !== 'string' || p.from.length === 0) return 'from must be a node name';
  if (!isNat(p.incarnation) || !isNat(p.version)) return 'incarnation and version must be integers ≥ 0';
  if (!isRef(p.receptionist)) return 'receptionist must be an actor ref';
  return true;
}

function entry(v: unknown, withMetadata: boolean): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.key === 'string' && isRef(e.ref) && (!withMetadata || isInstanceMetadata(e.metadata));
}

function validator(check: (p: Record<string, unknown>) => true | string): (payload: unknown) => true | string {
  return (payload) => {
    if (typeof payload !== 'object' || payload === null) return 'payload must be an object';
    const p = payload as Record<string, unknown>;
    const h = header(p);
    return h === true ? check(p) : h;
  };
}

const VALIDATORS: Record<(typeof RECEPTIONIST_MESSAGE_TYPES)[number], (payload: unknown) => true | string> = {
  'receptionist.sync': validator((p) =>
    typeof p.reply !== 'boolean' ? 'reply must be a boolean'
    : !Array.isArray(p.entries) || !p.entries.every((e) => entry(e, true)) ? 'entries must be { key, ref, metadata } records'
    : true),
  'receptionist.delta': validator((p) =>
    !Array.isArray(p.changes) || !p.changes.every((c) => {
      const op = (c as { op?: unknown } | null)?.op;
      return (op === 'put' && entry(c, true)) || (op === 'remove' && entry(c, false));
    }) ? 'changes must be put/remove records' : true),
  'receptionist.status': validator((p) => (typeof p.pull !== 'boolean' ? 'pull must be a boolean' : true)),
};

/**
 * Declares the receptionist's peer messages (`receptionist.sync`, `receptionist.delta`,
 * `receptionist.status`, version 1, with validators) in a node's message registry and returns
 * the registry. Every node that runs a receptionist must do this before `createNode`, or the
 * receptionists' messages are dead-lettered as `unknown-message-type`. Calling it twice on one
 * registry throws `duplicate-name`.
 *
 * @example
 * const registry = registerReceptionistMessages(createMessageRegistry());
 * const node = await createNode({ node: 'n1', transport, registry, seeds });
 * const receptionist = createReceptionist(node);
 */
export function registerReceptionistMessages(registry: MessageRegistry): MessageRegistry {
  for (const type of RECEPTIONIST_MESSAGE_TYPES) if (!registry.has(type)) registry.define(type, { version: 1, validate: VALIDATORS[type] });
  return registry;
}
