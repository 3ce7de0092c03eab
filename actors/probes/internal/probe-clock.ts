// The node's probe clock: one per system, it runs the probes of every probe actor of the node in
// batches — one scheduler timer per instant on the alignment grid, not one timer, tick message
// and turn per probe actor — and sends each request straight into its instance's probe lane. A
// probe actor keeps the decisions; it gets one `probe-result` per run (the answer, a timeout, or
// why the request could not be sent), through the run's one-shot reply address.

import { ActorRef } from '../../../runtime/actor-ref.ts';
import { DELIVERED_DEAD, type Process } from '../../../runtime/internal/process.ts';
import type { SystemCore } from '../../../runtime/internal/system-core.ts';
import { deliverProbe } from '../../../runtime/internal/probe-lane.ts';
import type { ResolvedProbe, ResolvedProbeConfig } from '../probe-config.ts';
import type { ProbeAnswer, ProbeKind, ProbeRequest } from '../probe-request.ts';
import { describeAskFailure, firstProbeAt, nextProbeAt } from './probe-decisions.ts';
import { ProbeReply } from './probe-reply.ts';

/** How a probe actor's probes are sent: which kind carries the signals, and whether readiness rides on liveness's runs (and in its request). */
export interface ProbePlan {
  readonly cfg: ResolvedProbeConfig;
  readonly sampleKind: ProbeKind | null;
  /** Readiness on liveness's schedule (same period, initial delay, alignment) runs on liveness's runs. */
  readonly readinessRides: boolean;
  /** ... and with the same timeout, in liveness's request (`also`). */
  readonly askedTogether: boolean;
}

/** One probe kind of one registration: when it next runs, and when its run in flight times out (NaN: not scheduled). */
class KindSlot {
  dueAt = NaN;
  timeoutAt = NaN;
  constructor(readonly reg: ProbeRegistration, readonly kind: ProbeKind) {}
}

/** @internal A probe actor's standing with the clock: its target, plan, runs in flight and schedule. */
export class ProbeRegistration {
  alive = true;
  seq = 0;
  readonly inflight: Record<ProbeKind, ProbeReply | null> = { startup: null, liveness: null, readiness: null };
  readonly slots: Readonly<Record<ProbeKind, KindSlot>>;
  constructor(readonly prober: Process, readonly target: ActorRef<ProbeRequest>, readonly plan: ProbePlan) {
    this.slots = { startup: new KindSlot(this, 'startup'), liveness: new KindSlot(this, 'liveness'), readiness: new KindSlot(this, 'readiness') };
  }
}

/** The runs and timeouts due at one instant. */
interface Bucket {
  readonly runs: KindSlot[];
  readonly timeouts: KindSlot[];
}

/** @internal The probe clock of one system (see the file's comment). */
export class ProbeClock {
  private readonly buckets = new Map<number, Bucket>();
  /** The registration of each probe actor (by its process). */
  private readonly registered = new Map<Process, ProbeRegistration>();

  constructor(private readonly host: SystemCore) {}

  /** Registers the probe actor behind `prober`; a restarted one registers again, ending its previous registration. */
  register(prober: Process, target: ActorRef<ProbeRequest>, plan: ProbePlan): ProbeRegistration {
    const previous = this.registered.get(prober);
    if (previous !== undefined) this.unregister(previous);
    const reg = new ProbeRegistration(prober, target, plan);
    this.registered.set(prober, reg);
    return reg;
  }

  /** Starts running `kind`: first at its initial delay from `startedAtMs` (on the grid), at once (in the caller's turn) if that is now or past. */
  activate(reg: ProbeRegistration, kind: ProbeKind, startedAtMs: number): void {
    if (!reg.alive) return;
    if (kind === 'readiness' && reg.plan.readinessRides && reg.plan.cfg.liveness !== null) return; // runs on liveness's runs
    const at = firstProbeAt(reg.plan.cfg[kind]!, startedAtMs);
    const now = this.host.scheduler.clock.now();
    if (at > now) this.schedule(reg.slots[kind], at, false);
    else this.run(reg, reg.slots[kind], now); // due (or overdue): at once
  }

  /** Stops running `kind` (its run in flight, if any, still reports). */
  deactivate(reg: ProbeRegistration, kind: ProbeKind): void {
    reg.slots[kind].dueAt = NaN;
  }

  /** Stops every probe of `reg`; answers still to come are dropped. */
  unregister(reg: ProbeRegistration): void {
    if (!reg.alive) return;
    reg.alive = false;
    if (this.registered.get(reg.prober) === reg) this.registered.delete(reg.prober);
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      reg.slots[kind].dueAt = NaN;
      reg.slots[kind].timeoutAt = NaN;
      reg.inflight[kind]?.drop();
      reg.inflight[kind] = null;
    }
  }

  private schedule(slot: KindSlot, at: number, timeout: boolean): void {
    if (timeout) slot.timeoutAt = at; else slot.dueAt = at;
    let b = this.buckets.get(at);
    if (b === undefined) {
      b = { runs: [], timeouts: [] };
      this.buckets.set(at, b);
      const scheduler = this.host.scheduler;
      scheduler.startTimer(Math.max(0, at - scheduler.clock.now()), () => this.fire(at));
    }
    (timeout ? b.timeouts : b.runs).push(slot);
  }

  /** The instant `at` came: time out its runs in flight, then start its runs (each scheduling its next). */
  private fire(at: number): void {
    const b = this.buckets.get(at);
    this.buckets.delete(at);
    if (b === undefined || this.host.terminated) return;
    for (const slot of b.timeouts) {
      if (slot.timeoutAt !== at) continue; // answered, or a later run's timeout
      slot.timeoutAt = NaN;
      this.expire(slot.reg, slot.kind, `no answer within ${slot.reg.plan.cfg[slot.kind]!.timeoutMs} ms`);
    }
    const now = this.host.scheduler.clock.now();
    for (const slot of b.runs) {
      if (slot.dueAt !== at) continue; // rescheduled or stopped since
      const reg = slot.reg;
      if (!reg.alive) continue;
      if (!reg.prober.alive) { this.unregister(reg); continue; }
      this.run(reg, slot, now);
    }
  }

  private run(reg: ProbeRegistration, slot: KindSlot, now: number): void {
    const { kind } = slot;
    const { cfg, readinessRides, askedTogether } = reg.plan;
    const settings = cfg[kind]!;
    // the next run a period on, back on the alignment grid (a late run does not drag the next ones)
    this.schedule(slot, nextProbeAt(settings, now), false);
    const periodReason = `no answer within the period of ${settings.periodMs} ms`;
    this.expire(reg, kind, periodReason);
    if (kind === 'liveness' && readinessRides && cfg.readiness !== null) {
      this.expire(reg, 'readiness', periodReason);
      if (askedTogether) this.send(reg, 'liveness', settings, now, 'readiness');
      else { this.send(reg, 'liveness', settings, now); this.send(reg, 'readiness', cfg.readiness, now); }
    } else {
      this.send(reg, kind, settings, now);
    }
  }

  /** A run of `kind` still in flight fails with `reason` (its reply forwards it and clears itself from the runs in flight, its `also` included). */
  private expire(reg: ProbeRegistration, kind: ProbeKind, reason: string): void {
    reg.inflight[kind]?.fail(reason);
  }

  /** Sends one request (`also`: a second probe in it) into the target's lane; its timeout on this clock when shorter than the period. */
  private send(reg: ProbeRegistration, kind: ProbeKind, settings: ResolvedProbe, now: number, also?: ProbeKind): void {
    const reply = new ProbeReply(reg.prober, kind, ++reg.seq, also, reg.inflight);
    reg.inflight[kind] = reply;
    if (also !== undefined) reg.inflight[also] = reply;
    const replyTo = new ActorRef<ProbeAnswer>(reply);
    const signals = kind === reg.plan.sampleKind && reg.plan.cfg.signals !== null;
    const request: ProbeRequest = also === undefined ? { type: 'troupe.probe', kind, replyTo, signals } : { type: 'troupe.probe', kind, replyTo, signals, also };
    let reason: string | null = null;
    try {
      const r = deliverProbe(reg.target.proc, request);
      if (r === DELIVERED_DEAD) reason = 'the instance is not alive';
      else if (r === 1 || r === 2) reason = "the instance's mailbox is full";
    } catch (e) {
      reason = describeAskFailure(e, settings.timeoutMs); // refused on this side (e.g. a remote target whose node cannot take it)
    }
    if (reason !== null) { this.expire(reg, kind, reason); return; }
    if (settings.timeoutMs < settings.periodMs) this.schedule(reg.slots[kind], now + settings.timeoutMs, true);
  }
}

const clocks = new WeakMap<SystemCore, ProbeClock>();

/** @internal The probe clock of the system `host` (made on first use). */
export function probeClockOf(host: SystemCore): ProbeClock {
  let c = clocks.get(host);
  if (c === undefined) { c = new ProbeClock(host); clocks.set(host, c); }
  return c;
}
