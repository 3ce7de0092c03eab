// Baseline: one-way messages as length-prefixed JSON frames on a raw loopback TCP socket, one write
// per batch of 1024; the server process JSON.parses every frame and answers a final count.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { BATCH, secondsSince, yieldToIo } from '../../local/workload.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import type { TellMsg } from '../protocol.ts';
import { startRawTcp, type RawTcpClient } from '../raw-tcp-client.ts';

let conn: KeptResource<RawTcpClient> | undefined;

/**
 * Sends `size` messages `{ type: 'n', v: i }`: each batch of 1024 is stringified, framed into one
 * buffer and written at once, then the producer yields on setImmediate (and waits for 'drain' when
 * the socket asks). Timed up to the reply to a final count; reports `msgPerSec`.
 */
export async function run({ size, warmup }: CaseParams): Promise<Metrics> {
  conn ??= keptAcrossPasses(startRawTcp, (c) => c.close());
  const c = await conn.get();
  try {
    const t0 = process.hrtime.bigint();
    const texts: string[] = [];
    for (let i = 0; i < size;) {
      const end = Math.min(size, i + BATCH);
      texts.length = 0;
      for (; i < end; i++) texts.push(JSON.stringify({ type: 'n', v: i } satisfies TellMsg));
      await c.writeFrames(texts);
      await yieldToIo();
    }
    const reply = await c.count();
    const secs = secondsSince(t0);
    if (reply.count !== size || reply.last !== size - 1) throw new Error(`the server counted ${reply.count}/${size} messages, last v=${reply.last}`);
    return { msgPerSec: size / secs };
  } finally {
    await conn.release(warmup);
  }
}
