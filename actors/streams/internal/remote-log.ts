// Another node's log, as a LogSource: each call is an ask to that node's log server; a node that
// does not answer in time is `backend-unavailable` (the operation may or may not have run there:
// callers only retry operations that are safe to repeat — reads, fenced commits, claims by CAS).

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { isTroupeError, TroupeError, type TroupeErrorCode } from '../../../runtime/errors.ts';
import type { CursorState, DeadLetterRecord, LogHead, LogRecord, LogSource } from '../log-source.ts';
import type { LogOp, LogOpValue, LogReply, LogServerMsg } from './log-protocol.ts';

/** A LogSource on node `name`, reached through its log server `server`. `watch` is done by the consumer (it registers itself). */
export function createRemoteLog(name: string, server: ActorRef<LogServerMsg>, timeoutMs: number): LogSource {
  const call = async (request: LogOp): Promise<LogOpValue> => {
    let reply: LogReply;
    try {
      reply = await server.ask<LogReply>((replyTo) => ({ type: 'bus.log.request', request, replyTo }), { timeoutMs });
    } catch (e) {
      const code = isTroupeError(e) ? e.code : 'unknown';
      throw new TroupeError('backend-unavailable', `The log of node "${name}" did not answer (${code}); its events wait there until it is reachable again.`, { backend: 'node', source: name, cause: code }, { cause: e });
    }
    if (reply.ok) return reply.value;
    throw new TroupeError(reply.code as TroupeErrorCode, reply.message, { ...reply.data, source: name });
  };
  return {
    name,
    append: () => Promise.reject(new TroupeError('invalid-argument', `The log of node "${name}" is read-only from here: publish on that node, or to this node's own log.`, { source: name })),
    read: (topic, fromOffset, maxCount) => call({ op: 'read', topic, fromOffset, maxCount }) as Promise<LogRecord[]>,
    head: (topic) => call({ op: 'head', topic }) as Promise<LogHead>,
    cursor: (topic, consumer, partition) => call({ op: 'cursor', topic, consumer, partition }) as Promise<CursorState>,
    claim: (topic, consumer, partition, owner, seenGeneration) => call({ op: 'claim', topic, consumer, partition, owner, seenGeneration }) as Promise<CursorState>,
    commit: async (topic, consumer, partition, offset, generation) => { await call({ op: 'commit', topic, consumer, partition, offset, generation }); },
    release: async (topic, consumer, partition, generation) => { await call({ op: 'release', topic, consumer, partition, generation }); },
    deadLetter: async (topic, entry) => { await call({ op: 'dead-letter', topic, entry }); },
    deadLetters: (topic, consumer) => call({ op: 'dead-letters', topic, consumer }) as Promise<DeadLetterRecord[]>,
    purgeDeadLetters: (topic, consumer, ids) => call({ op: 'purge', topic, consumer, ids }) as Promise<number>,
    trim: (topic, retention, nowMs) => call({ op: 'trim', topic, retention, nowMs }) as Promise<LogHead>,
    watch: () => () => undefined,
    close: async () => undefined,
  };
}
