// A worker for the health-probe specs: handles work fast, slowly (on virtual time), never
// (until released), or by throwing; its readiness is a flag in its state.

import { defineActor, type ActorDefinition, type ActorRef } from '../../runtime/index.ts';
import type { TestSystem } from '../../runtime/testing.ts';
import { askProbe, withProbes, type ProbeAnswer, type ProbeKind, type ProbeRequest, type WithProbesOptions } from '../../actors/probes/index.ts';

export type WorkerMsg =
  | { type: 'work' }
  | { type: 'slow'; ms: number }
  | { type: 'hang' }
  | { type: 'boom' }
  | { type: 'boom-async' }
  | { type: 'set-ready'; ready: boolean }
  | { type: 'handled'; replyTo: ActorRef<number> };

export interface WorkerState {
  handled: number;
  ready: boolean;
}

/** Releases every hung handler of the workers made with these hooks. */
export interface WorkerHooks {
  readonly hung: (() => void)[];
  release(): void;
}

export function workerHooks(): WorkerHooks {
  const hung: (() => void)[] = [];
  return { hung, release: () => { for (const r of hung.splice(0)) r(); } };
}

/** The plain worker (not probed). `ready` starts as `initiallyReady` (default true). */
export function plainWorker(hooks: WorkerHooks, initiallyReady = true): ActorDefinition<WorkerMsg, WorkerState> {
  return defineActor<WorkerMsg, WorkerState>({
    name: 'worker',
    init: () => ({ handled: 0, ready: initiallyReady }),
    receive: (s, m, ctx) => {
      switch (m.type) {
        case 'work': s.handled++; return s;
        case 'slow': return new Promise<WorkerState>((r) => { ctx.system.scheduler.startTimer(m.ms, () => { s.handled++; r(s); }); });
        case 'hang': return new Promise<WorkerState>((r) => { hooks.hung.push(() => r(s)); });
        case 'boom': throw new Error('boom');
        case 'boom-async': return Promise.reject(new Error('async boom'));
        case 'set-ready': s.ready = m.ready; return s;
        case 'handled': m.replyTo.tell(s.handled); return s;
      }
    },
  });
}

/** The worker with probes: ready follows its `ready` flag. */
export function probedWorker(hooks: WorkerHooks, options: WithProbesOptions<WorkerState, WorkerMsg> = {}, initiallyReady = true): ActorDefinition<WorkerMsg | ProbeRequest, WorkerState> {
  return withProbes(plainWorker(hooks, initiallyReady), { ready: (s) => s.ready || { ok: false, reason: 'not ready yet' }, ...options });
}

/** Asks `ref` one probe directly (on virtual time: resolves as the system runs). */
export async function probe(kit: TestSystem, ref: ActorRef<ProbeRequest>, kind: ProbeKind, timeoutMs = 1_000): Promise<ProbeAnswer> {
  const p = askProbe(ref, kind, { timeoutMs });
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  await kit.runUntil(() => settled, timeoutMs + 1);
  return p;
}
