// Event-sourced actors, one command's turn: decide, check and encode the events, append them
// with the known version as expectedVersion, then apply, reply, and snapshot when due.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { ActorContext } from '../../runtime/context.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { Journal, StoredEvent } from '../journal/journal.ts';
import { encodeEvents, toFailure, type CommandError, type EventCodec } from './event-sourced-events.ts';
import { foldFrom } from './event-sourced-recovery.ts';
import { endSpan, startAppendSpan, withTraceparent } from './journal-tracing.ts';

/** What `decide` may return: events, events plus a reply payload, or a rejection. */
export type Decision<E, R> = readonly E[] | { readonly events: readonly E[]; readonly reply?: R } | Rejection;

/** A decided "no": nothing is written and the caller gets `{ ok: false, error: { code: 'rejected' } }`. */
export interface Rejection {
  readonly rejected: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The reply every command with a `replyTo` gets: success once the events are durable, or a typed failure. */
export type CommandResult<S, R = undefined> =
  | { readonly ok: true; readonly version: number; readonly state: S; readonly reply?: R }
  | { readonly ok: false; readonly error: CommandError };

/** The live part of an event-sourced actor's state that a command turn reads and replaces. */
export interface LiveStream<S> {
  readonly journal: Journal;
  readonly stream: string;
  readonly version: number;
  readonly state: S;
  /** Events appended since the last snapshot (or since recovery's starting point). */
  readonly sinceSnapshot: number;
}

/** The definition's pieces a command turn uses. */
export interface CommandDeps<C, E, S, R> {
  readonly decide: (state: S, cmd: C, ctx: ActorContext<C>) => Decision<E, R>;
  readonly apply: (state: S, evt: E) => S;
  readonly codec: EventCodec<E>;
  readonly decode: (e: StoredEvent) => E;
  readonly snapshotEvery: number;
  readonly pageSize: number;
}

/** The command's `replyTo`, when it carries an actor ref there. */
export function replyToOf<S, R>(cmd: unknown): ActorRef<CommandResult<S, R>> | undefined {
  const r = (cmd as { replyTo?: unknown } | null)?.replyTo;
  return r instanceof ActorRef ? (r as ActorRef<CommandResult<S, R>>) : undefined;
}

/**
 * Runs one command. Returns the new live state (or undefined to keep it). Throws — to the
 * supervisor — what `decide`/`apply` throw and journal failures other than the typed ones; for
 * those the caller first gets `journal-failed` (the append's outcome is unknown).
 */
export async function runCommand<C, E, S, R>(deps: CommandDeps<C, E, S, R>, live: LiveStream<S>, cmd: C, ctx: ActorContext<C>): Promise<LiveStream<S> | undefined> {
  const replyTo = replyToOf<S, R>(cmd);
  const reply = (r: CommandResult<S, R>): void => { if (replyTo) ctx.send(replyTo, r); };
  const d = deps.decide(live.state, cmd, ctx);
  if (isRejection(d)) {
    reply({ ok: false, error: { code: 'rejected', message: d.rejected, data: { ...d.data } } });
    return undefined;
  }
  const events: unknown = Array.isArray(d) ? d : typeof d === 'object' && d !== null ? (d as { events?: unknown }).events : undefined;
  if (!Array.isArray(events)) {
    throw new TroupeError('invalid-argument', `decide returned ${describe(d)} for a command of ${ctx.path}: return an array of events, { events, reply }, or reject(reason) — synchronously, not a promise.`);
  }
  const payload = Array.isArray(d) ? undefined : (d as { reply?: R }).reply;
  const ok = (version: number, state: S): CommandResult<S, R> =>
    payload === undefined ? { ok: true, version, state } : { ok: true, version, state, reply: payload };
  if (events.length === 0) { reply(ok(live.version, live.state)); return undefined; }
  const encoded = encodeEvents(events as readonly E[], deps.codec);
  if (!encoded.ok) { reply({ ok: false, error: encoded.error }); return undefined; }
  // Apply before writing: a throwing `apply` is a bug, and must not leave unreplayable events behind.
  let state = live.state;
  for (const e of encoded.decoded) state = deps.apply(state, e);
  let version: number;
  // tracing: the append runs in a `journal append` span whose traceparent each event keeps (projections continue it)
  const span = startAppendSpan(ctx.system, live.stream, encoded.records.length);
  try {
    version = (await live.journal.append(live.stream, withTraceparent(encoded.records, span), { expectedVersion: live.version })).streamVersion;
    endSpan(span);
  } catch (e) {
    endSpan(span, e);
    const typed = toFailure(e);
    if (typed === undefined) {
      reply({ ok: false, error: { code: 'journal-failed', message: `The journal failed while appending to "${live.stream}" (${(e as Error)?.message ?? String(e)}); whether the events were stored is unknown. The actor restarts and recovers; read its state again before retrying.`, data: { stream: live.stream } } });
      throw e;
    }
    reply({ ok: false, error: typed });
    if (typed.code !== 'concurrency-conflict') return undefined;
    // Another writer moved the stream: read what it wrote before the next command is decided.
    const caught = await foldFrom({ ...deps, journal: live.journal, stream: live.stream }, live);
    return { ...live, state: caught.state, version: caught.version, sinceSnapshot: live.sinceSnapshot + caught.eventsRead };
  }
  reply(ok(version, state));
  const since = live.sinceSnapshot + events.length;
  if (deps.snapshotEvery > 0 && since >= deps.snapshotEvery) {
    await live.journal.saveSnapshot(live.stream, version, state);
    return { ...live, state, version, sinceSnapshot: 0 };
  }
  return { ...live, state, version, sinceSnapshot: since };
}

/** Builds a rejection for `decide` to return. */
export function reject(reason: string, data?: Readonly<Record<string, unknown>>): Rejection {
  return data === undefined ? { rejected: reason } : { rejected: reason, data };
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (typeof (v as PromiseLike<unknown>).then === 'function' ? 'a promise' : 'an object without an events array') : typeof v;
}

function isRejection<E, R>(d: Decision<E, R>): d is Rejection {
  return typeof d === 'object' && d !== null && !Array.isArray(d) && typeof (d as Rejection).rejected === 'string';
}
