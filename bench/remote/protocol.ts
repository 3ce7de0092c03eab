// What crosses process boundaries in the remote suite: the benchmark messages every contender
// carries, the Troupe message registry for them, and the IPC messages of server processes.

import type { ActorRef } from '../../runtime/index.ts';
import { createMessageRegistry, type MessageRegistry } from '../../runtime/wire/message-registry.ts';

/** The one-way message of every tell case (same shape as the local suite's). */
export type TellMsg = { type: 'n'; v: number };

/** What a sink answers when asked for its count: messages since the last count, and the last `v`. */
export type CountReply = { count: number; last: number };

/** Messages of the Troupe sink actor: `n` is counted; `count` replies with {@link CountReply} and resets. */
export type SinkMsg = TellMsg | { type: 'count'; replyTo: ActorRef<CountReply> };

/** The Troupe counter actor's message: it replies with the number of `get`s it has served. */
export type CounterMsg = { type: 'get'; replyTo: ActorRef<number> };

/** The registry every Troupe node of the suite uses: `n`, `count` and `get`, version 1, no validators. */
export function benchRegistry(): MessageRegistry {
  return createMessageRegistry().define('n', { version: 1 }).define('count', { version: 1 }).define('get', { version: 1 });
}

/**
 * What a server process sends its parent once it serves. `endpoint` is where to reach it (a
 * `host:port`, a NATS subject or a Moleculer namespace); `refs` maps actor names to their
 * address strings (Troupe servers only).
 */
export type ServerReady = { type: 'ready'; endpoint: string; refs: Record<string, string> };

/** A cluster event a Troupe server process relays to its parent, stamped with the wall clock (ms, sub-ms precision). */
export type ServerEvent = { type: 'event'; event: string; node: string; atMs: number };

/** A server started with `waitForGo` has loaded its code and waits for {@link ParentToServer} `go`. */
export type ServerLoaded = { type: 'loaded' };

/** Every message a server process sends its parent. */
export type ServerToParent = ServerReady | ServerEvent | ServerLoaded;

/** What a parent may send a server process: `go` starts a server that was started with `waitForGo`. */
export type ParentToServer = { type: 'go' };

/** The wall clock with sub-millisecond precision, comparable across processes of one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
