// The messages recovery coordinators exchange between nodes for the cluster-wide budget
// (reports of permits held and wanted, the owner's answers, its sync requests) and their checks.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import type { HeldPermit, Taken, WantedPermit } from './internal/permit-table.ts';

/** A coordinator's whole permit state, to the budget's owner (or to a new owner that asked for it). */
export interface PermitReportMsg {
  readonly type: 'recovery.report';
  readonly from: ActorRef<PermitMsg>;
  readonly node: string;
  /** Grows with every report of this coordinator; older ones are ignored. */
  readonly seq: number;
  readonly held: readonly HeldPermit[];
  readonly wanted: readonly WantedPermit[];
}

/**
 * The owner's answer to a coordinator: the ids it holds permits for (`granted`), those waiting in
 * the queue, and those another coordinator holds (`taken`); the budget and how many permits are in
 * use; `syncingForMs` > 0 while a new owner still waits for reports before it grants.
 */
export interface PermitAnswerMsg {
  readonly type: 'recovery.answer';
  readonly owner: string;
  readonly granted: readonly string[];
  readonly queued: readonly string[];
  readonly taken: readonly Taken[];
  readonly inUse: number;
  readonly budget: number;
  readonly syncingForMs: number;
}

/** A new owner asks a coordinator for its report. */
export interface PermitSyncMsg {
  readonly type: 'recovery.sync';
  readonly from: ActorRef<PermitMsg>;
}

/** What coordinators send each other. */
export type PermitMsg = PermitReportMsg | PermitAnswerMsg | PermitSyncMsg;

/** The message types {@link registerRecoveryMessages} declares, all at version 1. */
export const RECOVERY_MESSAGE_TYPES = ['recovery.report', 'recovery.answer', 'recovery.sync'] as const;

const MAX_LIST = 10_000;
const isName = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 1_000;
const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const listOf = (v: unknown, item: (x: Record<string, unknown>) => boolean): boolean =>
  Array.isArray(v) && v.length <= MAX_LIST && v.every((x) => typeof x === 'object' && x !== null && item(x as Record<string, unknown>));

const VALIDATORS: Record<(typeof RECOVERY_MESSAGE_TYPES)[number], (p: Record<string, unknown>) => true | string> = {
  'recovery.report': (p) => !(p.from instanceof ActorRef) ? 'from must be an actor ref' : !isName(p.node) ? 'node must be a node name'
    : !isCount(p.seq) ? 'seq must be an integer ≥ 0'
    : !listOf(p.held, (h) => isName(h.id) && isName(h.service) && isMs(h.remainingMs)) ? 'held must be a list of { id, service, remainingMs }'
    : !listOf(p.wanted, (w) => isName(w.id) && isName(w.service) && isMs(w.ttlMs)) ? 'wanted must be a list of { id, service, ttlMs }' : true,
  'recovery.answer': (p) => !isName(p.owner) ? 'owner must be a node name'
    : !(Array.isArray(p.granted) && p.granted.length <= MAX_LIST && p.granted.every(isName)) || !(Array.isArray(p.queued) && p.queued.length <= MAX_LIST && p.queued.every(isName)) ? 'granted and queued must be lists of instance addresses'
    : !listOf(p.taken, (t) => isName(t.id) && isName(t.by)) ? 'taken must be a list of { id, by }'
    : !isCount(p.inUse) || !isCount(p.budget) || !isMs(p.syncingForMs) ? 'inUse and budget must be integers ≥ 0 and syncingForMs a number ≥ 0' : true,
  'recovery.sync': (p) => (p.from instanceof ActorRef ? true : 'from must be an actor ref'),
};

/**
 * Declares the coordinators' messages (`recovery.report`, `recovery.answer`, `recovery.sync`,
 * version 1, with validators) in a node's message registry and returns it. Every node of a
 * cluster that runs a recovery coordinator must do this before `createNode`;
 * `registerServiceMessages` does it too. Types already declared are left as they are.
 */
export function registerRecoveryMessages(registry: MessageRegistry): MessageRegistry {
  for (const type of RECOVERY_MESSAGE_TYPES) {
    if (registry.has(type)) continue;
    const check = VALIDATORS[type];
    registry.define(type, { version: 1, validate: (payload) => (typeof payload === 'object' && payload !== null ? check(payload as Record<string, unknown>) : 'payload must be an object') });
  }
  return registry;
}
