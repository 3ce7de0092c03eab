// Test probes: actors that record what they receive, with expectations on virtual time.

import { ActorRef } from '../actor-ref.ts';
import { defineActor, type TerminationReason } from '../behavior.ts';
import { TroupeError } from '../errors.ts';

/** A recorded termination of a watched actor. */
export interface Terminated {
  readonly ref: ActorRef<never>;
  readonly reason: TerminationReason;
}

/** What a probe needs from its test system. */
export interface ProbeDriver {
  /** Runs until `ready()` is true or `timeoutMs` of virtual time passed; returns whether it became ready. */
  runUntil(ready: () => boolean, timeoutMs: number): Promise<boolean>;
  advance(ms: number): Promise<void>;
}

/**
 * A probe: give `probe.ref` to the actors under test, then assert on what arrives.
 * Timeouts are virtual milliseconds (default 3 000 for expectations, 100 for expectNoMessage).
 */
export interface TestProbe<T> {
  readonly ref: ActorRef<T>;
  /** Messages received and not yet consumed by an expectation. */
  readonly pending: readonly T[];
  /** Waits for the next message and returns it; with `expected`, asserts deep equality. */
  expectMessage(expected?: T, timeoutMs?: number): Promise<T>;
  /** Waits for the next message and asserts it matches `predicate`. */
  expectMessageWhere(predicate: (msg: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Advances `ms` of virtual time and asserts nothing arrived. */
  expectNoMessage(ms?: number): Promise<void>;
  /** Waits until `ref` terminates (the probe watches it). */
  expectTerminated(ref: ActorRef<never>, timeoutMs?: number): Promise<Terminated>;
  /** Collects `n` messages. */
  receiveMessages(n: number, timeoutMs?: number): Promise<T[]>;
}

type ProbeMsg = { readonly type: '$probe-watch'; readonly target: ActorRef<never> };

/** @internal Spawns the probe actor and wraps it with expectations. */
export function createProbe<T>(spawn: (def: ReturnType<typeof probeBehavior>, name: string) => ActorRef<unknown>, driver: ProbeDriver, name: string): TestProbe<T> {
  const inbox: T[] = [];
  const terminated: Terminated[] = [];
  const ref = spawn(probeBehavior(inbox as unknown[], terminated), name);
  const fail = (what: string): never => { throw new TroupeError('ask-timeout', `probe ${name}: ${what}`); };
  const next = async (timeoutMs: number): Promise<T> => {
    if (!(await driver.runUntil(() => inbox.length > 0, timeoutMs))) fail(`no message within ${timeoutMs} ms (virtual)`);
    return inbox.shift()!;
  };
  return {
    ref: ref as ActorRef<T>,
    get pending() { return inbox; },
    async expectMessage(expected, timeoutMs = 3_000) {
      const m = await next(timeoutMs);
      if (expected !== undefined && !deepEqual(m, expected)) fail(`expected ${show(expected)} but got ${show(m)}`);
      return m;
    },
    async expectMessageWhere(predicate, timeoutMs = 3_000) {
      const m = await next(timeoutMs);
      if (!predicate(m)) fail(`message ${show(m)} does not match the predicate`);
      return m;
    },
    async expectNoMessage(ms = 100) {
      await driver.advance(ms);
      if (inbox.length > 0) fail(`expected no message but got ${show(inbox[0])}`);
    },
    async expectTerminated(target, timeoutMs = 3_000) {
      ref.tell({ type: '$probe-watch', target } satisfies ProbeMsg as never);
      const found = (): number => terminated.findIndex((t) => t.ref.equals(target));
      if (!(await driver.runUntil(() => found() >= 0, timeoutMs))) fail(`${target.path} did not terminate within ${timeoutMs} ms (virtual)`);
      return terminated.splice(found(), 1)[0];
    },
    async receiveMessages(n, timeoutMs = 3_000) {
      if (!(await driver.runUntil(() => inbox.length >= n, timeoutMs))) fail(`expected ${n} messages, got ${inbox.length} within ${timeoutMs} ms (virtual)`);
      return inbox.splice(0, n);
    },
  };
}

function probeBehavior(inbox: unknown[], terminated: Terminated[]) {
  return defineActor<unknown, undefined>({
    name: 'probe',
    init: () => undefined,
    receive: (_s, msg, ctx) => {
      if (typeof msg === 'object' && msg !== null && (msg as ProbeMsg).type === '$probe-watch') ctx.watch((msg as ProbeMsg).target);
      else inbox.push(msg);
    },
    signal: (_s, sig) => {
      if (sig.type === 'terminated') terminated.push({ ref: sig.ref, reason: sig.reason });
    },
  });
}

function show(v: unknown): string {
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

/** Structural equality of plain data (refs compare by incarnation). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof ActorRef && b instanceof ActorRef) return a.equals(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
