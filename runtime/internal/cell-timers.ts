// An actor's keyed timers on the system scheduler; fired messages go through its mailbox.

import type { TimerId } from '../clock.ts';
import type { TimerScheduler } from '../context.ts';
import { TroupeError } from '../errors.ts';
import type { Process } from './process.ts';
import type { SystemCore } from './system-core.ts';

export class CellTimers implements TimerScheduler<unknown> {
  private active = new Map<string, TimerId>();

  constructor(private readonly host: SystemCore, private readonly owner: Process & { readonly path: string }) {}

  startSingle(key: string, msg: unknown, delayMs: number): void {
    this.start(key, msg, delayMs, false);
  }

  startPeriodic(key: string, msg: unknown, intervalMs: number): void {
    if (!(intervalMs > 0)) throw new TroupeError('invalid-argument', `timers.startPeriodic("${key}"): intervalMs must be > 0, got ${intervalMs}.`);
    this.start(key, msg, intervalMs, true);
  }

  cancel(key: string): void {
    const id = this.active.get(key);
    if (id !== undefined) { this.host.scheduler.cancelTimer(id); this.active.delete(key); }
  }

  isActive(key: string): boolean {
    return this.active.has(key);
  }

  cancelAll(): void {
    for (const id of this.active.values()) this.host.scheduler.cancelTimer(id);
    this.active.clear();
  }

  private start(key: string, msg: unknown, delayMs: number, periodic: boolean): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new TroupeError('invalid-argument', `timers("${key}"): delay must be a finite number ≥ 0, got ${delayMs}.`);
    this.cancel(key);
    // tracing: a single timer continues the context that started it (a periodic one does not: every tick would join one trace for ever)
    const tracing = this.host.traceHost;
    const trace = tracing === null || periodic ? null : tracing.timerContext(this.owner);
    const fire = (): void => {
      if (periodic) this.active.set(key, this.host.scheduler.startTimer(delayMs, fire));
      else this.active.delete(key);
      this.host.tracer?.timer(this.owner.path, key);
      this.owner.deliverUser(trace === null ? msg : tracing!.timerMessage(msg, trace));
    };
    this.active.set(key, this.host.scheduler.startTimer(delayMs, fire));
  }
}
