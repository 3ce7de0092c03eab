// The messages of a service's actor (scale, drain, status, health reports), their plain-data
// replies, and the declaration of the messages service actors exchange between nodes.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import { registerRecoveryMessages } from '../recovery/recovery-protocol.ts';
import type { HealthReport } from './instance-health.ts';
import type { ServiceStatus } from './service-status.ts';

/** What `scale` answers: the count before and after, and the version of the new desired state. */
export interface ScaleResult {
  readonly service: string;
  readonly previous: number;
  readonly count: number;
  readonly version: number;
}

/**
 * What `drain` answers once the instance has stopped: `'drained'` (its in-flight work finished and
 * nothing new came for the quiet period), `'deadline'` (stopped at its deadline with work left),
 * `'stopped'` (it stopped otherwise while draining, e.g. its node's service restarted), or
 * `'not-found'` (no such instance).
 */
export interface DrainResult {
  readonly service: string;
  readonly instance: string;
  readonly address: string;
  readonly node: string;
  readonly outcome: 'drained' | 'deadline' | 'stopped' | 'not-found';
  /** From the start of the drain to the instance's termination (0 for not-found). */
  readonly tookMs: number;
}

/**
 * The commands of a service, as messages. Send them to the service's actor on a node
 * (`service.ref`) or to a node's service host (`host.ref`, which hands them to the service named
 * by `service`). A command that is not valid (an unknown service, a count that is not an integer
 * 0 … 10 000) goes to dead letters, so an ask with it fails at once.
 * - `service.scale`: sets the desired count (replicated to every node, last writer wins).
 * - `service.drain`: drains one instance, named by id (`'orders-2'`) or ref address, wherever it
 *   runs; a fresh instance of the same ordinal takes its place. `deadlineMs` defaults to the
 *   service's `drain.deadlineMs`. `forwarded` is set by the node that hands it on to the instance's node.
 * - `service.status`: `scope` `'cluster'` (default) or `'node'`.
 */
export type ServiceCommand =
  | { readonly type: 'service.scale'; readonly service: string; readonly count: number; readonly replyTo?: ActorRef<ScaleResult> }
  | { readonly type: 'service.drain'; readonly service: string; readonly instance: string; readonly deadlineMs?: number; readonly replyTo?: ActorRef<DrainResult>; readonly forwarded?: boolean }
  | { readonly type: 'service.status'; readonly service: string; readonly scope?: 'cluster' | 'node'; readonly replyTo: ActorRef<ServiceStatus> };

/** Everything a service's actor accepts from other actors: its commands and health reports. */
export type ServiceMsg = ServiceCommand | HealthReport;

/**
 * What service actors on different nodes tell each other: the desired count, last writer wins by
 * (version, writer, count), and the moves recovery made (per ordinal, the nodes it avoids; absent
 * from nodes of an older version, which then ignore moves).
 */
export interface DesiredMsg {
  readonly type: 'service.desired';
  readonly service: string;
  readonly count: number;
  readonly version: number;
  readonly writer: string;
  readonly from: string;
  /** Asks the receiver to answer with its own desired state. */
  readonly reply: boolean;
  readonly moves?: readonly { readonly ordinal: number; readonly avoid: readonly string[]; readonly hosts: string; readonly version: number; readonly writer: string }[];
}

/** The message types {@link registerServiceMessages} declares, all at version 1. */
export const SERVICE_MESSAGE_TYPES = ['service.scale', 'service.drain', 'service.status', 'service.desired'] as const;

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 10_000;
const isVersion = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isName = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 200;
const optRef = (v: unknown): boolean => v === undefined || v instanceof ActorRef;
const isMove = (m: unknown): boolean => {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  return Number.isSafeInteger(e.ordinal) && (e.ordinal as number) >= 0 && (e.ordinal as number) < 10_000 && isVersion(e.version) && typeof e.writer === 'string' && typeof e.hosts === 'string' && e.hosts.length <= 100_000 &&
    Array.isArray(e.avoid) && e.avoid.length > 0 && e.avoid.length <= 64 && e.avoid.every(isName);
};
const optMoves = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.length <= 10_000 && v.every(isMove));

const VALIDATORS: Record<(typeof SERVICE_MESSAGE_TYPES)[number], (p: Record<string, unknown>) => true | string> = {
  'service.scale': (p) => !isName(p.service) ? 'service must be a name' : !isCount(p.count) ? 'count must be an integer 0 … 10 000' : !optRef(p.replyTo) ? 'replyTo must be an actor ref' : true,
  'service.drain': (p) => !isName(p.service) ? 'service must be a name' : !isName(p.instance) ? 'instance must be an id or address'
    : p.deadlineMs !== undefined && !(typeof p.deadlineMs === 'number' && p.deadlineMs > 0 && Number.isFinite(p.deadlineMs)) ? 'deadlineMs must be a finite number > 0'
    : p.forwarded !== undefined && typeof p.forwarded !== 'boolean' ? 'forwarded must be a boolean' : !optRef(p.replyTo) ? 'replyTo must be an actor ref' : true,
  'service.status': (p) => !isName(p.service) ? 'service must be a name' : p.scope !== undefined && p.scope !== 'cluster' && p.scope !== 'node' ? "scope must be 'cluster' or 'node'"
    : !(p.replyTo instanceof ActorRef) ? 'replyTo must be an actor ref' : true,
  'service.desired': (p) => !isName(p.service) ? 'service must be a name' : !isCount(p.count) || !isVersion(p.version) ? 'count must be an integer 0 … 10 000 and version an integer ≥ 0'
    : typeof p.writer !== 'string' || !isName(p.from) ? 'writer and from must be node names' : typeof p.reply !== 'boolean' ? 'reply must be a boolean'
    : !optMoves(p.moves) ? 'moves must be a list of { ordinal, avoid: [node, …], hosts, version, writer }' : true,
};

/**
 * Declares the service messages (`service.scale`, `service.drain`, `service.status`,
 * `service.desired`, version 1, with validators) and the recovery coordinators' messages
 * (`registerRecoveryMessages`) in a node's message registry and returns it.
 * Every node that runs a service host must do this (with {@link registerReceptionistMessages})
 * before `createNode`. Types already declared are left as they are.
 *
 * @example
 * const registry = registerServiceMessages(registerReceptionistMessages(createMessageRegistry()));
 */
export function registerServiceMessages(registry: MessageRegistry): MessageRegistry {
  for (const type of SERVICE_MESSAGE_TYPES) {
    if (registry.has(type)) continue;
    const check = VALIDATORS[type];
    registry.define(type, { version: 1, validate: (payload) => (typeof payload === 'object' && payload !== null ? check(payload as Record<string, unknown>) : 'payload must be an object') });
  }
  return registerRecoveryMessages(registry);
}
