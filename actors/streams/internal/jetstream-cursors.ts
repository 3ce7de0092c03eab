// Consumer cursors in a JetStream KV bucket: one key per (topic, consumer, partition), claim and
// fenced commit as compare-and-set on the key's revision, retried while only the offset moved.

import type { KV, KvEntry } from 'nats';
import { TroupeError } from '../../../runtime/errors.ts';
import type { CursorState } from '../log-source.ts';
import { decodeCursor, encodeCursor, encodeName } from './jetstream-codec.ts';
import { jsErrCode } from './jetstream-errors.ts';

const NONE: CursorState = { offset: 0, generation: 0, owner: null };
/** "wrong last sequence": the key changed since it was read. */
const WRONG_LAST_SEQUENCE = 10071;

/** The cursor operations of the JetStream log source. */
export interface JetStreamCursors {
  cursor(topic: string, consumer: string, partition: number): Promise<CursorState>;
  claim(topic: string, consumer: string, partition: number, owner: string, seenGeneration: number): Promise<CursorState>;
  commit(topic: string, consumer: string, partition: number, offset: number, generation: number): Promise<void>;
  release(topic: string, consumer: string, partition: number, generation: number): Promise<void>;
}

/** Cursors on `kv`; every write is a compare-and-set on the revision read just before. */
export function createJetStreamCursors(kv: KV): JetStreamCursors {
  const keyOf = (topic: string, consumer: string, partition: number): string => `${encodeName(topic)}.${encodeName(consumer)}.${partition}`;

  /** The stored state and the key's revision (0 = never written; a deleted key keeps its revision). */
  const load = async (key: string): Promise<{ state: CursorState; revision: number }> => {
    const e: KvEntry | null = await kv.get(key);
    if (e === null) return { state: NONE, revision: 0 };
    return { state: e.operation === 'PUT' ? decodeCursor(e.value, key) : NONE, revision: e.revision };
  };

  /** Writes `next` if the key is still at `revision`; false when someone wrote in between. */
  const swap = async (key: string, revision: number, next: CursorState): Promise<boolean> => {
    try {
      if (revision > 0) await kv.update(key, encodeCursor(next), revision);
      else await kv.create(key, encodeCursor(next));
      return true;
    } catch (e) {
      if (jsErrCode(e) === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(String((e as Error)?.message))) return false;
      throw e;
    }
  };

  return {
    async cursor(topic, consumer, partition) {
      return (await load(keyOf(topic, consumer, partition))).state;
    },

    async claim(topic, consumer, partition, owner, seenGeneration) {
      const key = keyOf(topic, consumer, partition);
      for (;;) {
        const { state, revision } = await load(key);
        if (state.generation !== seenGeneration) return state;
        const next: CursorState = { offset: state.offset, generation: state.generation + 1, owner };
        if (await swap(key, revision, next)) return next;
        // Lost the race: re-read; if only the offset moved (a commit), the claim still applies.
      }
    },

    async commit(topic, consumer, partition, offset, generation) {
      const key = keyOf(topic, consumer, partition);
      for (;;) {
        const { state, revision } = await load(key);
        if (state.generation !== generation) {
          throw new TroupeError('stale-generation', `Commit of '${consumer}' on topic '${topic}' partition ${partition} used generation ${generation}, but the partition is now at generation ${state.generation} (claimed by ${state.owner ?? 'nobody'}); stop handling it and claim again.`, { topic, consumer, partition, generation, current: state.generation });
        }
        if (offset <= state.offset) return;
        if (await swap(key, revision, { ...state, offset })) return;
      }
    },

    async release(topic, consumer, partition, generation) {
      const key = keyOf(topic, consumer, partition);
      for (;;) {
        const { state, revision } = await load(key);
        if (state.generation !== generation || state.owner === null) return;
        if (await swap(key, revision, { ...state, owner: null })) return;
      }
    },
  };
}
