// Loading a sealed segment's index on the first read that touches it (open read only its
// checkpoint's summary): the checkpoint's body, or — when that turns out damaged — a scan of the
// segment, which must then agree with the summary open trusted, else the read is `corrupt-record`.

import { checkpointFile, loadBody, writeCheckpoint, type CheckpointSummary } from './index-checkpoint.ts';
import type { JournalIndex } from './journal-index.ts';
import { scanSegment } from './segment-scan.ts';
import { readFully, type Segment } from './segment-set.ts';
import { TroupeError } from '../../../runtime/errors.ts';

/** A sealed segment open knows only by its checkpoint's summary. */
export interface LazySegment { readonly seg: Segment; readonly summary: CheckpointSummary }

/** The `loader` of `index` for `lazy` (by segment number); `ignored` reports a checkpoint body that could not be used. */
export function lazyLoader(index: JournalIndex, lazy: ReadonlyMap<number, LazySegment>, ignored: (file: string, why: string) => void): (segment: number) => Promise<void> {
  return async (segment) => {
    const l = lazy.get(segment);
    if (!l) throw new Error(`journal index: segment ${segment} is not lazily known`);
    const { summary } = l;
    const body = await loadBody(summary, false);
    if (typeof body !== 'string') {
      index.fillLazy(segment, { ...body, counts: summary.counts, names: summary.names });
      return;
    }
    ignored(summary.file, `${body}, found on first read`);
    index.fillLazy(segment, await rescan(index, segment, l));
  };
}

/** Scans `l`'s segment and checks it holds what its summary says; rewrites the checkpoint from it. */
async function rescan(index: JournalIndex, segment: number, { seg, summary }: LazySegment): Promise<{ off: Uint32Array; len: Uint32Array; byStream: Uint32Array; counts: Uint32Array; names: readonly string[] }> {
  const n = summary.records;
  const size = summary.coveredBytes;
  const buf = Buffer.allocUnsafe(size);
  await readFully(seg.fh, buf, 0, size, 0, seg.file);
  const local = new Map(summary.names.map((name, k) => [name, k]));
  const start = new Uint32Array(summary.names.length);
  for (let k = 1; k < start.length; k++) start[k] = start[k - 1] + summary.counts[k - 1];
  const fill = start.slice();
  const off = new Uint32Array(n), len = new Uint32Array(n), byStream = new Uint32Array(n), sid = new Uint32Array(n);
  const version = new Map<string, number>();
  let i = 0, mismatch: string | undefined;
  const r = scanSegment(buf, size, {
    firstPosition: summary.firstPosition, base: 0, lastFlushSeq: 0,
    // A stream the summary does not name fails the scan's version check.
    versionOf: (stream) => version.get(stream) ?? index.lazyFrom(stream, segment) ?? -1,
    onRecord: (stream, v, position, offset, length) => {
      version.set(stream, v);
      const k = local.get(stream);
      if (k === undefined || i >= n || fill[k] >= start[k] + summary.counts[k]) { mismatch ??= `record at byte ${offset} is not in the checkpoint's summary`; return; }
      off[i] = offset; len[i] = length; sid[i] = k; i++;
      byStream[fill[k]++] = position;
    },
  });
  const why = r.damage ? `${r.damage.why} at byte ${r.damage.offset}` : mismatch ?? (i !== n ? `it holds ${i} records, its checkpoint ${n}` : undefined);
  if (why !== undefined) {
    const offset = r.damage?.offset ?? 0;
    throw new TroupeError('corrupt-record', `Journal segment ${seg.file} does not hold what its index checkpoint ${checkpointFile(seg.file)} recorded (${why}): ` +
      'it was changed outside the journal. Restore the journal directory from a backup.', { file: seg.file, offset });
  }
  await writeCheckpoint(seg.file, { firstPosition: summary.firstPosition, coveredBytes: size, lastFlushSeq: summary.lastFlushSeq, off, len, sid, names: summary.names }).catch(() => undefined);
  return { off, len, byStream, counts: summary.counts, names: summary.names };
}
