// A server process of the remote suite: forked with the tsx loader, ready when it says so over
// IPC, stopped by its pid, and killed by pid when the measuring process exits for any reason.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ParentToServer, ServerEvent, ServerReady, ServerToParent } from './protocol.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Extra Node flags for server processes, from `BENCH_REMOTE_SERVER_ARGS` (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the receiving side. Default none.
 */
const extraArgs = (process.env.BENCH_REMOTE_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');

/** A running server process. */
export interface ServerProcess {
  readonly pid: number;
  /** What the server said when it became ready (endpoint `''` until then: see {@link whenReady}). */
  readonly ready: ServerReady;
  /** Resolves when the server has said it is ready. */
  readonly whenReady: Promise<ServerReady>;
  /** Sends the server a message (e.g. `go` to one started with `waitForGo`). */
  send(m: ParentToServer): void;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Called with every cluster event the server relays (Troupe servers with `events: 1`). */
  onEvent: (e: ServerEvent) => void;
  /** Sends SIGSTOP to the pid: the process stays, silent (its sockets stay open); `kill` still ends it. */
  freeze(): void;
  /** Sends SIGKILL to the pid at once; resolves when the process has exited (bounded: 5 s). */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 2 000); resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every server still running when this process exits (a failed or timed-out case included). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
}

/**
 * Forks `bench/remote/servers/<script>` with `config` as `argv[2]` (JSON) and resolves once it
 * sends {@link ServerReady}, or `loaded` (a server started with `waitForGo`: it has loaded its
 * code and starts serving on `send({ type: 'go' })`; await `whenReady` then). Rejects (after
 * killing it) when it exits first or takes longer than `readyTimeoutMs` (default 20 000). Its
 * stdout/stderr are this process's; Node flags from `BENCH_REMOTE_SERVER_ARGS` are added to its
 * `execArgv`. The server exits by itself when this process goes away (its IPC channel closes).
 */
export function startServer(script: string, config: Record<string, unknown>, readyTimeoutMs = 20_000): Promise<ServerProcess> {
  installExitHook();
  const path = fileURLToPath(new URL(`./servers/${script}`, import.meta.url));
  const child = fork(path, [JSON.stringify(config)], { cwd: repoRoot, execArgv: ['--import', 'tsx', ...extraArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; live.delete(child); resolve(); }));
  const waitExit = (ms: number): Promise<boolean> => Promise.race([
    exit.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
  ]);
  const kill = async (): Promise<void> => {
    if (exited || child.pid === undefined) return;
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    await waitExit(5_000);
  };

  return new Promise<ServerProcess>((resolve, reject) => {
    let readied!: (r: ServerReady) => void;
    let failed!: (e: Error) => void;
    const whenReady = new Promise<ServerReady>((res, rej) => { readied = res; failed = rej; });
    whenReady.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
    const fail = (e: Error): void => { failed(e); reject(e); };
    let timer = setTimeout(() => { void kill(); fail(new Error(`server ${script} was not ready within ${readyTimeoutMs} ms`)); }, readyTimeoutMs);
    void exit.then(() => { clearTimeout(timer); fail(new Error(`server ${script} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`)); });
    const handle: ServerProcess = {
      pid: child.pid ?? -1,
      ready: { type: 'ready', endpoint: '', refs: {} },
      whenReady,
      send: (m) => {
        if (exited) return;
        if (m.type === 'go') {
          clearTimeout(timer);
          timer = setTimeout(() => { void kill(); fail(new Error(`server ${script} was not ready within ${readyTimeoutMs} ms of 'go'`)); }, readyTimeoutMs);
        }
        child.send(m);
      },
      get exited() { return exited; },
      onEvent: () => {},
      freeze: () => { if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGSTOP'); },
      kill,
      async stop(graceMs = 2_000) {
        if (exited || child.pid === undefined) return;
        try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
        if (!(await waitExit(graceMs))) await kill();
      },
    };
    child.on('message', (raw) => {
      const m = raw as ServerToParent;
      if (m.type === 'ready') {
        clearTimeout(timer);
        (handle as { ready: ServerReady }).ready = m;
        readied(m);
        resolve(handle);
      } else if (m.type === 'loaded') {
        clearTimeout(timer); // the ready timer restarts on send({ type: 'go' })
        resolve(handle);
      } else if (m.type === 'event') {
        handle.onEvent(m);
      }
    });
  });
}

/**
 * What every server script calls once it serves: reports `ready` to the parent, and exits when
 * the parent goes away (IPC disconnect) or on SIGTERM, after `cleanup` (bounded: 2 s).
 */
export function serveUntilParentGoes(ready: ServerReady, cleanup: () => Promise<void> = async () => {}): void {
  let leaving = false;
  const leave = (): void => {
    if (leaving) return;
    leaving = true;
    setTimeout(() => process.exit(0), 2_000).unref();
    cleanup().finally(() => process.exit(0));
  };
  process.on('disconnect', leave);
  process.on('SIGTERM', leave);
  process.send?.(ready);
}

/** Resolves when the parent sends `go` (servers started with `waitForGo` await it before serving). */
export function untilGo(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: ParentToServer): void => { if (m.type === 'go') { process.off('message', onMessage); resolve(); } };
    process.on('message', onMessage);
    process.send?.({ type: 'loaded' } satisfies ServerToParent);
  });
}

/** Reads the JSON config a server script was started with (`argv[2]`). */
export function serverConfig<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}
