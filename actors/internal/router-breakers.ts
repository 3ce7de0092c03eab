// The circuit breakers of one router, one per routee: which routees may take a message now, the
// outcome of each ask, trips by recovery (metadata `circuit: 'open'`), and the circuit-open error.

import type { Clock } from '../../runtime/clock.ts';
import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import type { ServiceInstance } from './receptionist-service.ts';
import {
  admission, CLOSED, current, failed, mayOpen, sent, succeeded, tripped, type BreakerSettings, type RouteeBreaker,
} from './routee-breaker.ts';

/**
 * Per-routee circuit breakers of a router (Envoy's outlier detection, Hystrix's breaker, per
 * caller). Defaults: `failures` 5 consecutive failed asks open a routee's breaker; `openMs` 5 000
 * (the cool-down; then one trial ask goes through — success closes it, failure opens it again);
 * `maxEjectedFraction` 0.5 (never more than this share of the routees has a breaker that is not
 * closed, and never the last one); `isFailure(error)`: every rejection of an ask counts
 * (timeouts, a dead or unreachable routee, a full mailbox) except `invalid-argument`,
 * `system-terminated` and `circuit-open`.
 */
export interface RouterBreakerOptions {
  readonly failures?: number;
  readonly openMs?: number;
  readonly maxEjectedFraction?: number;
  readonly isFailure?: (error: unknown) => boolean;
}

/** What the router needs of a routee. */
export interface BreakerRoutee<M> {
  readonly instance: ServiceInstance<M>;
  readonly address: string;
}

/** An ask sent through a breaker: its outcome is recorded against this routee and epoch. */
export interface BreakerToken {
  readonly address: string;
  readonly epoch: number;
}

function defaultIsFailure(error: unknown): boolean {
  return !(isTroupeError(error, 'invalid-argument') || isTroupeError(error, 'system-terminated') || isTroupeError(error, 'circuit-open'));
}

/** Checks the options; throws `invalid-spec` naming the field. */
export function resolveBreakerSettings(o: RouterBreakerOptions, where: string): BreakerSettings & { readonly isFailure: (error: unknown) => boolean } {
  const bad = (field: string, rule: string, v: unknown): TroupeError => new TroupeError('invalid-spec', `${where}: breaker.${field} must be ${rule}, got ${String(v)}.`, { field: `breaker.${field}` });
  if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-spec', `${where}: breaker must be an object like { failures: 5, openMs: 5000 } or false.`, { field: 'breaker' });
  const failures = o.failures ?? 5;
  if (!Number.isSafeInteger(failures) || failures < 1) throw bad('failures', 'an integer ≥ 1 (default 5)', failures);
  const openMs = o.openMs ?? 5_000;
  if (typeof openMs !== 'number' || !Number.isFinite(openMs) || openMs <= 0) throw bad('openMs', 'a finite number of milliseconds > 0 (default 5000)', openMs);
  const maxEjectedFraction = o.maxEjectedFraction ?? 0.5;
  if (typeof maxEjectedFraction !== 'number' || !(maxEjectedFraction >= 0 && maxEjectedFraction < 1)) throw bad('maxEjectedFraction', 'a fraction 0 ≤ f < 1 (default 0.5)', maxEjectedFraction);
  if (o.isFailure !== undefined && typeof o.isFailure !== 'function') throw bad('isFailure', 'a function (error) => boolean', typeof o.isFailure);
  return { failures, openMs, maxEjectedFraction, isFailure: o.isFailure ?? defaultIsFailure };
}

/** The breakers of one router. Time is read from `clock` when a message is routed (no timers). */
export class RouterBreakers<M> {
  private readonly breakers = new Map<string, RouteeBreaker>();
  /** Breakers not closed (open, or half-open), kept so the common case (all closed) costs one check. */
  private notClosed = 0;
  /** The last list scanned for `circuit` metadata, and what each routee's said then. */
  private scanned: readonly BreakerRoutee<M>[] | undefined;
  private readonly flags = new Map<string, 'open' | undefined>();
  /** Asks failed fast because every routee's breaker was open. */
  rejected = 0;

  constructor(private readonly settings: BreakerSettings & { readonly isFailure: (error: unknown) => boolean }, private readonly clock: Clock) {}

  /** The routees of `list` that may take a message now: closed ones, plus half-open ones without a trial in flight when `ask`. */
  usable<R extends BreakerRoutee<M>>(list: readonly R[], ask: boolean): readonly R[] {
    if (list !== this.scanned) this.scan(list);
    if (this.notClosed === 0) return list;
    const now = this.clock.now();
    const out: R[] = [];
    for (const r of list) {
      const b = this.breakers.get(r.address);
      const a = b === undefined ? 'closed' : admission(b, now);
      if (a === 'closed' || (a === 'trial' && ask)) out.push(r);
    }
    return out;
  }

  /** Records that an ask went to `r`; returns the token its outcome is recorded with. */
  sent(r: BreakerRoutee<M>): BreakerToken {
    const b = this.breakers.get(r.address);
    if (b === undefined) return { address: r.address, epoch: 0 };
    const next = sent(b, this.clock.now());
    this.set(r.address, next);
    return { address: r.address, epoch: next.epoch };
  }

  /** The ask's outcome (`error` undefined: it succeeded; then `routees` is not needed). */
  settled(token: BreakerToken, error: unknown, routees: readonly BreakerRoutee<M>[] | undefined): void {
    const b = this.breakers.get(token.address);
    if (error === undefined || !this.countsAsFailure(error)) {
      if (b !== undefined) this.set(token.address, succeeded(b, token.epoch, this.clock.now()));
      return;
    }
    this.set(token.address, failed(b ?? CLOSED, token.epoch, this.settings, this.clock.now(), this.mayOpenOne(routees ?? [])));
  }

  /** The state of a routee's breaker now. */
  stateOf(address: string): RouteeBreaker['state'] {
    const b = this.breakers.get(address);
    return b === undefined ? 'closed' : current(b, this.clock.now()).state;
  }

  /** The error of an ask refused because every routee that could take it has its breaker open. */
  openError(routees: readonly BreakerRoutee<M>[], what: string, data: Record<string, unknown>): TroupeError {
    this.rejected++;
    const now = this.clock.now();
    let retryAtMs = Infinity;
    for (const r of routees) {
      const b = this.breakers.get(r.address);
      if (b?.state === 'open') retryAtMs = Math.min(retryAtMs, b.retryAtMs);
    }
    const when = retryAtMs === Infinity
      ? 'a trial ask is in flight to each half-open one; retry once it settles'
      : `the next trial is let through at ${retryAtMs} ms (in ${Math.max(0, retryAtMs - now)} ms); retry then`;
    return new TroupeError('circuit-open', `${what}: every routee that could take this ask has its circuit open in this router (${routees.length} of ${routees.length}); ${when}, or check the instances' health.`,
      { ...data, open: routees.length, retryAtMs: retryAtMs === Infinity ? undefined : retryAtMs, retryInMs: retryAtMs === Infinity ? undefined : Math.max(0, retryAtMs - now) });
  }

  private countsAsFailure(error: unknown): boolean {
    try { return this.settings.isFailure(error); } catch { return true; }
  }

  private mayOpenOne(routees: readonly BreakerRoutee<M>[]): boolean {
    let notClosed = 0;
    const now = this.clock.now();
    for (const r of routees) {
      const b = this.breakers.get(r.address);
      if (b !== undefined && current(b, now).state !== 'closed') notClosed++;
    }
    return mayOpen(routees.length, notClosed, this.settings);
  }

  /** A new listing: forgets routees that left it, and opens the breaker of each routee whose metadata turned `circuit: 'open'`. */
  private scan(list: readonly BreakerRoutee<M>[]): void {
    this.scanned = list;
    const present = new Set<string>();
    for (const r of list) present.add(r.address);
    for (const a of [...this.breakers.keys()]) if (!present.has(a)) this.set(a, undefined);
    for (const a of [...this.flags.keys()]) if (!present.has(a)) this.flags.delete(a);
    for (const r of list) {
      const flag = r.instance.metadata.circuit;
      if (flag === 'open' && this.flags.get(r.address) !== 'open') {
        const b = this.breakers.get(r.address) ?? CLOSED;
        this.set(r.address, tripped(b, this.settings, this.clock.now(), this.mayOpenOne(list)));
      }
      this.flags.set(r.address, flag);
    }
  }

  private set(address: string, next: RouteeBreaker | undefined): void {
    const before = this.breakers.get(address);
    if ((before !== undefined && before.state !== 'closed') !== (next !== undefined && next.state !== 'closed')) this.notClosed += next !== undefined && next.state !== 'closed' ? 1 : -1;
    if (next === undefined || (next.state === 'closed' && next.failures === 0 && next.epoch === 0)) this.breakers.delete(address);
    else this.breakers.set(address, next);
  }
}
