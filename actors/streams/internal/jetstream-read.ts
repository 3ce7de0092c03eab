// Reading a range of a topic's stream: parallel direct gets for short ranges (no server-side
// consumer), an ordered consumer's fetch for long ones (measured ~2× faster from ~100 records on).

import { DeliverPolicy, type JetStreamClient, type NatsConnection } from 'nats';
import { directGet, type DirectMessage } from './jetstream-direct.ts';

/** Ranges up to this many sequences are read with direct gets, longer ones with an ordered consumer. */
export const DIRECT_READ_MAX = 64;
/** Parallel direct gets per round. */
export const CHUNK = 128;

/** The sequences `from`…`to`, ascending. */
export const seqRange = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** The messages at `seqs` (undefined where gone), fetched in parallel by direct get. */
export const directGetAll = (nc: NatsConnection, stream: string, seqs: number[], timeoutMs: number): Promise<(DirectMessage | undefined)[]> =>
  Promise.all(seqs.map((s) => directGet(nc, stream, s, timeoutMs)));

/**
 * The stored messages of `stream` with sequence in [from, to], at most `max`, ascending; messages
 * trimmed meanwhile are skipped. `to` must not be past the stream's last sequence as just read.
 */
export async function readRange(nc: NatsConnection, js: JetStreamClient, stream: string, from: number, to: number, max: number, timeoutMs: number): Promise<DirectMessage[]> {
  const out: DirectMessage[] = [];
  if (max <= 0 || from > to) return out;
  const want = Math.min(max, to - from + 1);
  if (want <= DIRECT_READ_MAX) {
    for (let next = from; out.length < max && next <= to; next += CHUNK) {
      for (const m of await directGetAll(nc, stream, seqRange(next, Math.min(to, next + CHUNK - 1)), timeoutMs)) if (m && out.length < max) out.push(m);
    }
    return out;
  }
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  const messages = await consumer.fetch({ max_messages: want, expires: timeoutMs });
  try {
    for await (const m of messages) {
      if (m.seq > to) break;
      out.push({ seq: m.seq, data: m.data });
      if (out.length >= want || m.seq >= to) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
    await consumer.delete().catch(() => false);
  }
  return out;
}
