// The probe protocol: the request a probed instance answers through its own mailbox, and the
// typed answer (a check result plus the instance's measured signals).

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { askProcess, type AskOptions } from '../../runtime/ask.ts';
import type { WindowReading } from './internal/signal-window.ts';

/** The three Kubernetes probe kinds: is it alive (restart if not), ready for work (route to it), done starting. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Every probe kind, in the order they gate each other (startup first). */
export const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/**
 * Asks an instance one probe (send it with {@link askProbe}). It waits behind the instance's
 * queued user messages, so an instance stuck in a handler cannot answer and fails its liveness
 * probe. Instances defined with `withProbes` answer it without calling the user's `receive`.
 */
export interface ProbeRequest {
  readonly type: 'troupe.probe';
  readonly kind: ProbeKind;
  readonly replyTo: ActorRef<ProbeAnswer>;
  /** Whether the answer should carry the instance's signals (default true; the probe actor asks for them on its sampling probe only). */
  readonly signals?: boolean;
  /** A second probe answered in the same turn (its answer in the answer's `also`): a probe actor asks liveness and readiness at once when they share a schedule. */
  readonly also?: ProbeKind;
}

/** The result of one check: `ok`, why not, and optional structured facts (plain data). */
export interface CheckResult {
  readonly ok: boolean;
  readonly reason?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One named check inside an answer (e.g. the `db` dependency of a readiness answer). */
export interface CheckStatus {
  readonly name: string;
  readonly ok: boolean;
  readonly reason?: string;
}

/**
 * What an instance measured about itself over its signal window (see `withProbes`):
 * user messages handled and thrown errors in the window, the error rate (`errors / messages`,
 * 0 with no messages), the p99 processing time of the timed messages (async handlers included,
 * on the system clock; 0 with no samples) and how many were timed, restarts in the window, the
 * mailbox depth when it answered, and the window's length.
 */
export interface InstanceSignals extends WindowReading {
  readonly mailboxDepth: number;
  readonly windowMs: number;
}

/** The answer to a {@link ProbeRequest}: the overall result, each named check, and the instance's signals (unless the request said `signals: false`). */
export interface ProbeAnswer extends CheckResult {
  readonly kind: ProbeKind;
  readonly checks: readonly CheckStatus[];
  readonly signals?: InstanceSignals;
  /** The answer to the request's `also` probe (without signals), when it asked for one. */
  readonly also?: ProbeAnswer;
}

/** True when `msg` is a {@link ProbeRequest} (a cheap structural test, safe on any message). */
export function isProbeRequest(msg: unknown): msg is ProbeRequest {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'troupe.probe';
}

/**
 * Options of {@link askProbe}: `timeoutMs` (default the system's `askTimeoutMs`, 5 000), `signals`
 * (default true), `also` — a second probe kind answered in the same turn (default none).
 */
export interface AskProbeOptions extends AskOptions {
  readonly signals?: boolean;
  readonly also?: ProbeKind;
}

/**
 * Asks the instance behind `ref` one probe of `kind` and resolves with its answer. A local
 * instance defined with `withProbes` takes the request in its probe lane: it answers once every
 * message queued before the request has been handled and no handler is in flight, without calling
 * its `receive`. Any other actor — and an instance on another node, where the request travels as
 * a message (probe actors run beside their instance) — gets the request as an ordinary message.
 * Rejects like an ask: `ask-timeout` (a stuck instance), `actor-dead`, `node-unreachable`,
 * `system-terminated`.
 *
 * @example
 * const a = await askProbe(orders, 'readiness', { timeoutMs: 1_000 });
 * if (!a.ok) console.log(a.reason);
 * const both = await askProbe(orders, 'liveness', { also: 'readiness' }); // both.also: readiness's answer
 */
export function askProbe(ref: ActorRef<ProbeRequest> | ActorRef<never>, kind: ProbeKind, options: AskProbeOptions = {}): Promise<ProbeAnswer> {
  const { signals, also } = options;
  const make = (replyTo: ActorRef<unknown>): ProbeRequest => ({
    type: 'troupe.probe', kind, replyTo: replyTo as ActorRef<ProbeAnswer>,
    ...(signals === undefined ? {} : { signals }), ...(also === undefined ? {} : { also }),
  });
  return askProcess((ref as ActorRef<unknown>).proc, make, options, undefined, true) as Promise<ProbeAnswer>;
}
