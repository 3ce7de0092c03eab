// Notices simulated code starting real asynchronous work (a real timer, file or socket I/O): an
// async_hooks init hook sees every such resource, and the async context tells which simulation
// (if any) the code creating it descends from. Process-wide by nature, so one hook serves every
// simulation, and it is enabled only while one of them is running steps.

import { createHook, executionAsyncResource, type AsyncHook } from 'node:async_hooks';

/** A simulation that wants to hear about escapes from its steps. */
export interface EscapeListener {
  /** True while the simulation schedules its own (real) macrotask: not an escape. */
  readonly selfScheduling: boolean;
  escaped(type: string, stack: string): void;
}

/** Deterministic in-process work: promises, queueMicrotask, process.nextTick. */
const ALLOWED = new Set(['PROMISE', 'Microtask', 'TickObject']);

/**
 * The simulation an async resource's code descends from, on the resource itself. One hook both
 * carries it (from the running resource to the ones it creates) and checks it: what an
 * AsyncLocalStorage would do, for half the cost per promise (that is most of what it sees).
 */
const SIMULATION = Symbol('troupe.simulation');
type Marked = { [SIMULATION]?: EscapeListener };

let hook: AsyncHook | null = null;
let active = 0;

function onInit(_id: number, type: string, _trigger: number, resource: object): void {
  const listener = (executionAsyncResource() as Marked)[SIMULATION];
  if (listener === undefined) return;
  if (ALLOWED.has(type) || listener.selfScheduling) { (resource as Marked)[SIMULATION] = listener; return; }
  listener.escaped(type, new Error().stack ?? '');
}

/** One more simulation runs steps: watch (the hook is on while any does). */
export function watchEscapes(): void {
  if (active++ > 0) return;
  // stdout/stderr are created lazily: touch them now, so a first log line inside a step is not a "socket"
  void process.stdout;
  void process.stderr;
  (hook ??= createHook({ init: onInit })).enable();
}

/** One simulation less runs steps. */
export function unwatchEscapes(): void {
  if (active === 0 || --active > 0) return;
  hook?.disable();
}

/**
 * Marks the rest of the current synchronous execution, and everything asynchronous it starts, as
 * part of `listener`'s simulation (call at the start of each step, in the simulation's own microtask).
 */
export function enterSimulation(listener: EscapeListener): void {
  (executionAsyncResource() as Marked)[SIMULATION] = listener;
}

/** What kind of outside work an async resource type stands for, for error messages. */
export function describeResource(type: string): string {
  if (type === 'Timeout') return 'a real timer (setTimeout/setInterval)';
  if (type === 'Immediate') return 'a real setImmediate';
  if (type.startsWith('FSREQ') || type === 'FILEHANDLE' || type === 'FILEHANDLECLOSEREQ' || type === 'STATWATCHER' || type === 'FSEVENTWRAP') return 'real file I/O';
  if (/^(TCP|PIPE|TLS|UDP|WRITE|SHUTDOWN|GETADDRINFO|GETNAMEINFO|QUERY|HTTP)/.test(type)) return 'real network I/O';
  if (type === 'RANDOMBYTESREQUEST' || type.startsWith('PBKDF2') || type.startsWith('SCRYPT')) return 'real crypto work on the thread pool';
  return `real asynchronous work (${type})`;
}
