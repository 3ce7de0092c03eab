// Direct get (JetStream ≥ 2.9, streams with allow_direct): one message by sequence, answered by
// any replica without the API leader. The nats client's own helper is not on its public types.

import type { NatsConnection } from 'nats';

/** A message fetched by sequence: its stream sequence and body. */
export interface DirectMessage {
  readonly seq: number;
  readonly data: Uint8Array;
}

/** Thrown shape for a refused direct get (mirrors the client's JetStream errors: `code` '404', '408'…). */
class DirectGetError extends Error {
  constructor(message: string, readonly code: string) { super(message); }
}

/**
 * The message of `stream` at `seq` — or, with `nextBySubject`, the first one at or after `seq` on
 * that subject. Resolves undefined when there is none (404); rejects with the client's errors
 * (503 no responders when the stream does not exist, TIMEOUT…).
 */
export async function directGet(nc: NatsConnection, stream: string, seq: number, timeoutMs: number, nextBySubject?: string): Promise<DirectMessage | undefined> {
  const query = nextBySubject === undefined ? { seq } : { seq, next_by_subj: nextBySubject };
  const r = await nc.request(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify(query), { timeout: timeoutMs });
  const h = r.headers;
  if (!h) throw new DirectGetError('direct get answered without headers; is allow_direct set on the stream?', 'BAD_RESPONSE');
  if (h.hasError || (h.code >= 300 && r.data.length === 0)) {
    if (h.code === 404) return undefined;
    throw new DirectGetError(h.description || `direct get failed (${h.code})`, String(h.code));
  }
  const s = Number(h.get('Nats-Sequence'));
  if (!Number.isSafeInteger(s) || s < 1) throw new DirectGetError('direct get answered without a Nats-Sequence header', 'BAD_RESPONSE');
  return { seq: s, data: r.data };
}
