// Ask: request-response on top of tell, through a one-shot process that is the reply address.

import { ActorRef } from './actor-ref.ts';
import type { Address } from './address.ts';
import type { TimerId } from './clock.ts';
import { TroupeError, isTroupeError } from './errors.ts';
import { DELIVERED_DEAD, type DeliveryResult, type Process, type SystemMessage } from './internal/process.ts';
import type { SystemCore } from './internal/system-core.ts';
import { deliverProbe } from './internal/probe-lane.ts';
import type { PendingAsk } from './internal/ask-registry.ts';
import { TracedMessage } from './observe/internal/traced-message.ts';
import type { RecordedSpan } from './observe/internal/recorded-span.ts';
import type { TracedAsk } from './observe/tracing.ts';

/** Options of an ask. `timeoutMs` defaults to the system's `askTimeoutMs` (5 000). */
export interface AskOptions {
  readonly timeoutMs?: number;
}

/**
 * @internal A reply address that can be told its request was not delivered: a local ask, or
 * (remoting) the reply address of an ask made on another node, which forwards the failure there.
 */
export interface FailableReply {
  failReply(error: TroupeError, recipient: Process | undefined): void;
}

/**
 * @internal Told once when an ask settles: `error` undefined when it was answered, else why it
 * failed (timed out, dead, unreachable…). Routers count asks in flight and feed their breakers with it.
 */
export interface AskListener {
  askSettled(error: TroupeError | undefined): void;
}

/** @internal The reply side of one ask: resolves on the first message, then is dead. */
export class AskProcess implements Process, PendingAsk, FailableReply, TracedAsk {
  alive = true;
  /** Its `ask <type>` span while a trace is active (tracing on). */
  span: RecordedSpan | null = null;
  timer: TimerId | null = null;
  prevAsk: AskProcess | null = null;
  nextAsk: AskProcess | null = null;
  /** Metrics: when a timed ask was sent (-1: not timed), and how many asks it stands for. */
  startedAt = -1;
  weight = 1;
  private addr: Address | null = null;

  constructor(
    readonly host: SystemCore,
    readonly n: number,
    private readonly target: Process,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
    private readonly listener: AskListener | undefined = undefined,
  ) {}

  get address(): Address {
    return this.addr ??= { system: this.host.name, node: this.host.node, path: `/temp/ask-${this.n}`, uid: this.n };
  }

  deliverUser(msg: unknown): DeliveryResult {
    if (!this.alive) {
      this.host.deadLetter(this, msg, 'actor-stopped');
      return DELIVERED_DEAD;
    }
    if (this.startedAt >= 0) this.host.observer?.askReplied(this);
    this.settle(undefined);
    if (msg instanceof TracedMessage) msg = msg.msg;
    if (this.span !== null) this.host.traceHost?.askSettled(this.span);
    const sim = this.host.sim;
    if (sim === null) this.resolve(msg);
    else sim.resume(this, () => this.resolve(msg));
    return 0;
  }

  deliverSystem(_msg: SystemMessage): void {}

  fail(error: TroupeError): void {
    if (!this.alive) return;
    this.settle(error);
    if (this.span !== null) this.host.traceHost?.askSettled(this.span, error);
    const sim = this.host.sim;
    if (sim === null) this.reject(error);
    else sim.resume(this, () => this.reject(error));
  }

  failReply(error: TroupeError): void {
    this.fail(error);
  }

  /** The process the request went to. */
  get targetProcess(): Process {
    return this.target;
  }

  /** The node the request went to (remoting fails asks whose node goes down). */
  get targetNode(): string {
    return this.target.address.node;
  }

  /**
   * Fails the ask because its node went down (`actor-dead`) or cannot be reached
   * (`node-unreachable`). Either way the request was sent and may have run there before: the
   * error's data says so with `mayHaveRun: true`.
   */
  failNodeDown(code: 'actor-dead' | 'node-unreachable' = 'actor-dead'): void {
    const { path, node } = this.target.address;
    this.fail(code === 'actor-dead'
      ? new TroupeError('actor-dead', `${path} on node ${node} did not reply before its node went down; the request may have run there before. Retry only if it is idempotent.`, { target: path, node, mayHaveRun: true })
      : new TroupeError('node-unreachable', `${path} on node ${node} did not reply and its node is unreachable; the request may still have run there. Retry only if it is idempotent.`, { target: path, node, mayHaveRun: true }));
  }

  timeout(ms: number): void {
    this.host.observer?.askTimedOut(this);
    this.fail(new TroupeError('ask-timeout', `No reply from ${this.target.address.path} within ${ms} ms. Raise timeoutMs, or check that the actor replies to every request.`, { target: this.target.address.path, timeoutMs: ms }));
  }

  private settle(error: TroupeError | undefined): void {
    this.alive = false;
    if (this.timer !== null) this.host.scheduler.cancelTimer(this.timer);
    this.host.asks.remove(this);
    this.listener?.askSettled(error);
  }
}

/**
 * @internal Implements ActorRef.ask and ctx.ask; `listener` hears when the ask settles. `probe`:
 * the request is a probe request, delivered into the target's probe lane (see probe-lane.ts), untraced.
 */
export function askProcess(target: Process, make: (replyTo: ActorRef<unknown>) => unknown, options?: AskOptions, listener?: AskListener, probe = false): Promise<unknown> {
  const host = target.host;
  const timeoutMs = options?.timeoutMs ?? host.askTimeoutMs;
  if (!(timeoutMs > 0)) {
    return Promise.reject(new TroupeError('invalid-argument', `ask timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`));
  }
  if (host.terminated) {
    return Promise.reject(new TroupeError('system-terminated', `Cannot ask ${target.address.path}: system "${host.name}" has terminated.`));
  }
  if (!target.alive && (target as { readonly unreachable?: boolean }).unreachable === true) {
    return Promise.reject(new TroupeError('node-unreachable', `Cannot ask ${target.address.path}: its node ${target.address.node} is unreachable (suspected by the failure detector). Retry later; it is downed or heard again within the split-brain resolver's stable period.`, { target: target.address.path, node: target.address.node }));
  }
  if (!target.alive) {
    return Promise.reject(new TroupeError('actor-dead', `Cannot ask ${target.address.path}: the actor is not alive. Look the service up again or watch it to learn when it stops.`, { target: target.address.path }));
  }
  return new Promise((resolve, reject) => {
    const p = new AskProcess(host, ++host.askCounter, target, resolve, reject, listener);
    host.asks.add(p);
    let msg: unknown;
    try {
      msg = make(new ActorRef(p));
    } catch (e) {
      p.fail(new TroupeError('invalid-argument', `The ask's message factory threw: ${(e as Error)?.message ?? String(e)}`, {}, { cause: e }));
      return;
    }
    p.timer = host.scheduler.startTimer(timeoutMs, () => p.timeout(timeoutMs));
    if (host.observer !== null) host.observer.askStarted(p, timeoutMs);
    const tracing = host.traceHost;
    if (tracing !== null && !probe) msg = tracing.askRequest(p, target.address, msg);
    let r: DeliveryResult;
    try {
      r = probe ? deliverProbe(target, msg) : target.deliverUser(msg);
    } catch (e) {
      // the request was refused on this side (e.g. a remote ref and a type no registry declares)
      p.fail(isTroupeError(e) ? e : new TroupeError('invalid-argument', `The request to ${target.address.path} could not be sent: ${(e as Error)?.message ?? String(e)}`, {}, { cause: e }));
      return;
    }
    if (r === 1 || r === 2) {
      p.fail(new TroupeError('mailbox-full', `${target.address.path} rejected the request: its mailbox is full. Back off and retry, or raise its capacity.`, { target: target.address.path }));
    } else if (r === DELIVERED_DEAD) {
      p.fail(new TroupeError('actor-dead', `${target.address.path} stopped before it could take the request.`, { target: target.address.path }));
    }
  });
}

/**
 * @internal Fails every ask whose reply address is a top-level field of an undeliverable message
 * (`recipient`: the process that did not take it); replies of remote asks answer their node.
 */
export function failAsksIn(msg: unknown, error: () => TroupeError, recipient?: Process): void {
  if (typeof msg !== 'object' || msg === null) return;
  for (const k in msg) {
    const v = (msg as Record<string, unknown>)[k];
    if (v instanceof ActorRef && typeof (v.proc as Partial<FailableReply>).failReply === 'function') (v.proc as unknown as FailableReply).failReply(error(), recipient);
  }
}
