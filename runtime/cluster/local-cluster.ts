// Spawn a cluster of local node processes in one call: each child is a node on loopback TCP;
// the call resolves when every node sees every other up, and returns handles to stop, kill and
// restart each node. Used by samples, tests and chaos experiments.

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TroupeError } from '../errors.ts';
import { createRealScheduler } from '../real-clock.ts';
import type { DowningOptions } from './downing/resolver.ts';

/** @internal Parent → child IPC. */
export type ToChild = { type: 'call'; id: number; name: string; args: unknown[] } | { type: 'leave' };
/** @internal Child → parent IPC. */
export type ToParent =
  | { type: 'members'; endpoint: string; up: string[] }
  | { type: 'result'; id: number; ok: boolean; value?: unknown; error?: string }
  | { type: 'exiting'; code: number; reason: string; downed?: boolean };

/**
 * Options of {@link spawnLocalCluster}. Defaults: node names `n1…nN`, system `'local'`, a fresh
 * random 32-byte secret, `readyTimeoutMs` 20 000, child output inherited, the nodes' default
 * downing (keep-majority, stable after 7 s), and `restartOnDown` true: a node that exits because
 * the split-brain resolver downed it is started again (a new incarnation that rejoins through a
 * live node), at most `maxDownRestarts` (default 5) times per node.
 */
export interface LocalClusterOptions {
  readonly nodes: number;
  /** Path of the entry module each node runs (see `LocalNodeEntry` in local-node-main.ts). */
  readonly entry: string;
  readonly name?: string;
  readonly secret?: string;
  readonly readyTimeoutMs?: number;
  readonly stdio?: 'inherit' | 'ignore';
  /** Every node's split-brain resolver settings (not `lease`: a lease is not serializable). */
  readonly downing?: Exclude<DowningOptions, { strategy: 'lease' }>;
  readonly restartOnDown?: boolean;
  readonly maxDownRestarts?: number;
  /**
   * Chaos on every node (default false: nothing is installed): its transport gets the chaos
   * layer, its system a skewable clock, and a chaos agent runs on it, reached with
   * `handle.call('$chaos', command)` (scenarios do it for you, see actors/chaos).
   */
  readonly chaos?: boolean;
}

/** One node process. */
export interface LocalNodeHandle {
  readonly name: string;
  readonly pid: number;
  readonly endpoint: string;
  readonly alive: boolean;
  /**
   * How the process last exited (undefined while it runs): its exit code (null when killed by a
   * signal) and, when the node exited by itself (its system terminated), the reason it printed.
   */
  readonly exit: { readonly code: number | null; readonly reason: string | undefined } | undefined;
  /** How many times this node was restarted after being downed (see `restartOnDown`). */
  readonly downRestarts: number;
  /** Calls `control[name](node, ...args)` in the child and resolves with its result. */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
  /** Leaves the cluster gracefully and exits. */
  stop(): Promise<void>;
  /** SIGKILL: the others find out through their failure detectors. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stops running (its peers stop hearing it) until {@link resume}. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** True between `pause` and `resume`. */
  readonly paused: boolean;
  /** Starts the node again (a new incarnation), joining through a live node. */
  restart(): Promise<void>;
}

/** A running local cluster. */
export interface LocalCluster {
  readonly nodes: readonly LocalNodeHandle[];
  node(name: string): LocalNodeHandle;
  /** Resolves when `names` (default: every live node) all see each other up. */
  waitForMembers(names?: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stops every node (gracefully, then SIGKILL for stragglers). */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./local-node-main.ts', import.meta.url));

/**
 * Spawns `nodes` node processes on loopback TCP and waits until all are up.
 * @example
 * const cluster = await spawnLocalCluster({ nodes: 3, entry: new URL('./shop-node.ts', import.meta.url).pathname });
 * await cluster.node('n2').kill();
 * await cluster.stop();
 */
export async function spawnLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new TroupeError('invalid-argument', `spawnLocalCluster: nodes must be an integer ≥ 1, got ${options.nodes}.`);
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const system = options.name ?? 'local';
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const scheduler = createRealScheduler();
  const views = new Map<string, string[]>();
  const changed = new Set<() => void>();
  const notify = (): void => { for (const f of [...changed]) f(); };

  const until = (ok: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (ok()) { resolve(); return; }
      const check = (): void => { if (ok()) { done(); resolve(); } };
      const timer = scheduler.startTimer(timeoutMs, () => { done(); reject(new TroupeError('ask-timeout', `spawnLocalCluster: ${what} within ${timeoutMs} ms.`)); });
      const done = (): void => { changed.delete(check); scheduler.cancelTimer(timer); };
      changed.add(check);
    });

  class Handle implements LocalNodeHandle {
    child!: ChildProcess;
    endpoint = '';
    private calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    private nextCall = 0;
    exited = false;
    exit: { code: number | null; reason: string | undefined } | undefined;
    private exitReason: string | undefined;
    private downed = false;
    downRestarts = 0;

    constructor(readonly name: string) {}

    get pid(): number { return this.child.pid ?? -1; }
    get alive(): boolean { return !this.exited; }

    launch(seeds: string[]): Promise<void> {
      this.exited = false;
      this.exit = undefined;
      this.exitReason = undefined;
      this.downed = false;
      this.endpoint = '';
      views.delete(this.name);
      this.child = fork(MAIN, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, TROUPE_DOWNING: options.downing ? JSON.stringify(options.downing) : '', TROUPE_NODE: this.name, TROUPE_SYSTEM: system, TROUPE_SECRET: secret, TROUPE_SEEDS: seeds.join(','), TROUPE_ENTRY: options.entry, TROUPE_CHAOS: options.chaos ? '1' : '' },
        stdio: options.stdio === 'ignore' ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.child.on('message', (raw) => {
        const m = raw as ToParent;
        if (m.type === 'members') { this.endpoint = m.endpoint; views.set(this.name, m.up); notify(); }
        else if (m.type === 'exiting') { this.exitReason = m.reason; this.downed = m.downed === true; if (this.exit) this.exit = { ...this.exit, reason: m.reason }; notify(); }
        else {
          const c = this.calls.get(m.id);
          this.calls.delete(m.id);
          if (m.ok) c?.resolve(m.value); else c?.reject(new Error(m.error));
        }
      });
      this.child.on('exit', (code) => {
        this.exited = true;
        this.exit = { code, reason: this.exitReason };
        views.delete(this.name);
        for (const c of this.calls.values()) c.reject(new TroupeError('actor-dead', `node ${this.name} exited`));
        this.calls.clear();
        notify();
        if (this.downed && !stopping && (options.restartOnDown ?? true) && this.downRestarts < (options.maxDownRestarts ?? 5)) {
          this.downRestarts++;
          this.launch(liveSeeds(this)).catch(() => {});
        }
      });
      return until(() => this.endpoint !== '' || this.exited, readyTimeoutMs, `node ${this.name} did not start`).then(() => {
        if (this.exited) throw new TroupeError('actor-dead', `node ${this.name} exited while starting`);
      });
    }

    call<T>(name: string, ...args: unknown[]): Promise<T> {
      if (this.exited) return Promise.reject(new TroupeError('actor-dead', `node ${this.name} is not running`));
      const id = ++this.nextCall;
      return new Promise<T>((resolve, reject) => {
        this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
        this.child.send({ type: 'call', id, name, args } satisfies ToChild);
      });
    }

    async stop(): Promise<void> {
      if (this.exited) return;
      this.resume();
      this.child.send({ type: 'leave' } satisfies ToChild);
      await until(() => this.exited, 5_000, `node ${this.name} did not leave`).catch(() => this.kill());
    }

    paused = false;

    pause(): void {
      if (this.exited || this.paused) return;
      this.child.kill('SIGSTOP');
      this.paused = true;
    }

    resume(): void {
      if (!this.paused) return;
      this.paused = false;
      if (!this.exited) this.child.kill('SIGCONT');
    }

    async kill(): Promise<void> {
      if (this.exited) return;
      this.paused = false;
      this.child.kill('SIGKILL');
      await until(() => this.exited, 5_000, `node ${this.name} did not die`);
    }

    async restart(): Promise<void> {
      await this.kill();
      await this.launch(liveSeeds(this));
    }
  }

  const handles: Handle[] = [];
  let stopping = false;
  const liveSeeds = (self: Handle): string[] => handles.filter((h) => h !== self && h.alive && h.endpoint).map((h) => h.endpoint);
  const live = (): Handle[] => handles.filter((h) => h.alive);
  const waitForMembers = (names?: readonly string[], timeoutMs = readyTimeoutMs): Promise<void> => {
    const want = names ?? live().map((h) => h.name);
    return until(() => want.every((n) => { const v = views.get(n); return v !== undefined && want.every((w) => v.includes(w)); }), timeoutMs, `nodes ${want.join(', ')} did not all see each other up`)
      .catch((e: Error) => { throw new TroupeError('ask-timeout', `${e.message} Views: ${want.map((n) => `${n} sees [${views.get(n)?.join(' ') ?? 'nothing'}]`).join('; ')}.`); });
  };
  const stopAll = async (): Promise<void> => { stopping = true; await Promise.all(handles.map((h) => h.stop())); };

  try {
    for (let i = 1; i <= options.nodes; i++) {
      const h = new Handle(`n${i}`);
      handles.push(h);
      await h.launch(handles[0] === h ? [] : [handles[0].endpoint]);
    }
    await waitForMembers();
  } catch (e) {
    await Promise.all(handles.map((h) => h.kill().catch(() => {})));
    throw e;
  }

  return {
    nodes: handles,
    node: (name) => {
      const h = handles.find((x) => x.name === name);
      if (!h) throw new TroupeError('invalid-argument', `no node named ${name}; nodes are ${handles.map((x) => x.name).join(', ')}`);
      return h;
    },
    waitForMembers,
    stop: stopAll,
  };
}
