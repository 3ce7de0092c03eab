// A node's log server: serves its local topic logs to consumers on other nodes (reads, cursors,
// dead letters, retention) and tells watchers of new appends. One per bus per node.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import { assertNever, isTroupeError } from '../../../runtime/errors.ts';
import type { LogSource } from '../log-source.ts';
import type { AppendedMsg, LogOp, LogOpValue, LogReply, LogServerMsg } from './log-protocol.ts';
import { untracedActor } from '../../../runtime/observe/internal/untraced-actors.ts';

/** Runs one operation on `log`. Arguments come from the network: the log checks them (typed errors). */
export function runOp(log: LogSource, r: LogOp): Promise<LogOpValue> {
  switch (r.op) {
    case 'read': return log.read(r.topic, r.fromOffset, r.maxCount);
    case 'head': return log.head(r.topic);
    case 'cursor': return log.cursor(r.topic, r.consumer, r.partition);
    case 'claim': return log.claim(r.topic, r.consumer, r.partition, r.owner, r.seenGeneration);
    case 'commit': return log.commit(r.topic, r.consumer, r.partition, r.offset, r.generation).then(() => null);
    case 'release': return log.release(r.topic, r.consumer, r.partition, r.generation).then(() => null);
    case 'dead-letter': return log.deadLetter(r.topic, r.entry).then(() => null);
    case 'dead-letters': return log.deadLetters(r.topic, r.consumer);
    case 'purge': return log.purgeDeadLetters(r.topic, r.consumer, r.ids);
    case 'trim': return log.trim(r.topic, r.retention, r.nowMs);
    default: return assertNever(r);
  }
}

function toReply(p: Promise<LogOpValue>): Promise<LogReply> {
  return p.then(
    (value): LogReply => ({ ok: true, value }),
    (e: unknown): LogReply => isTroupeError(e)
      ? { ok: false, code: e.code, message: e.message, data: { ...e.data } }
      : { ok: false, code: 'invalid-argument', message: e instanceof Error ? e.message : String(e), data: {} });
}

interface ServerState {
  /** topic → watcher address → (ref, stop watching the log) */
  readonly watchers: Map<string, Map<string, { ref: ActorRef<AppendedMsg>; stop: () => void }>>;
}

/** The log server actor over `log`. Requests run concurrently; each answers its asker. */
export function defineLogServer(log: LogSource): ActorDefinition<LogServerMsg, ServerState> {
  return untracedActor(defineActor<LogServerMsg, ServerState>({
    name: 'bus-log-server',
    init: () => ({ watchers: new Map() }),
    receive: (s, m, ctx) => {
      switch (m.type) {
        case 'bus.log.request': {
          let p: Promise<LogOpValue>;
          try { p = runOp(log, m.request); } catch (e) { p = Promise.reject(e); }
          void toReply(p).then((reply) => { try { m.replyTo.offer(reply); } catch { /* system terminated */ } }); // offer: bus bookkeeping joins no trace
          return;
        }
        case 'bus.log.watch': {
          let byWatcher = s.watchers.get(m.topic);
          if (byWatcher === undefined) { byWatcher = new Map(); s.watchers.set(m.topic, byWatcher); }
          const id = m.watcher.toString();
          if (byWatcher.has(id)) return;
          let stop: () => void;
          try {
            stop = log.watch(m.topic, (last) => { try { m.watcher.offer({ type: 'bus.log.appended', source: log.name, topic: m.topic, last }); } catch { /* system terminated */ } });
          } catch { return; }
          byWatcher.set(id, { ref: m.watcher, stop });
          ctx.watch(m.watcher as ActorRef<never>, { type: 'bus.log.watcher-down', watcher: id });
          return;
        }
        case 'bus.log.unwatch': {
          const w = s.watchers.get(m.topic)?.get(m.watcher.toString());
          if (w !== undefined) { w.stop(); s.watchers.get(m.topic)!.delete(m.watcher.toString()); }
          return;
        }
        case 'bus.log.watcher-down':
          for (const byWatcher of s.watchers.values()) {
            const w = byWatcher.get(m.watcher);
            if (w !== undefined) { w.stop(); byWatcher.delete(m.watcher); }
          }
          return;
        default: return assertNever(m);
      }
    },
    signal: (s, sig) => {
      if (sig.type === 'stopped') for (const byWatcher of s.watchers.values()) for (const w of byWatcher.values()) w.stop();
    },
  }));
}
