// An instance's measured signals over a sliding window of time buckets: messages handled (from
// its mailbox's counter), thrown errors, restarts and sampled processing times (p99).

/** What a window holds at one read. */
export interface WindowReading {
  readonly messages: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latencyP99Ms: number;
  readonly latencySamples: number;
  readonly restarts: number;
}

/** Buckets per window (the window slides one bucket at a time). */
const BUCKETS = 6;
/** Processing-time samples kept per bucket (the newest overwrite the oldest). */
export const SAMPLES_PER_BUCKET = 64;

/** The p99 of `xs` by nearest rank (0 for none). */
export function p99(xs: readonly number[]): number {
  return p99Of(xs, [[0, xs.length]]);
}

/**
 * The p99 by nearest rank of the values in `segments` (`[start, count]` ranges of `xs`; 0 for
 * none): the k-th largest with k = n − ⌈0.99 n⌉ + 1 (at most 4 for a full window), found in one
 * pass keeping the k largest in a small sorted buffer — no copy, no sort.
 */
export function p99Of(xs: readonly number[], segments: readonly (readonly [start: number, count: number])[]): number {
  let n = 0;
  for (const [, count] of segments) n += count;
  if (n === 0) return 0;
  const k = n - Math.ceil(0.99 * n) + 1;
  const top: number[] = []; // ascending; top[0] is the k-th largest once full
  for (const [start, count] of segments) {
    for (let i = start; i < start + count; i++) {
      const x = xs[i];
      if (top.length === k) {
        if (x <= top[0]) continue;
        top.shift();
      }
      let j = top.length;
      while (j > 0 && top[j - 1] > x) j--;
      top.splice(j, 0, x);
    }
  }
  return top[0];
}

/**
 * A sliding window of `windowMs` in {@link BUCKETS} buckets, indexed by time on the caller's
 * clock. Messages are counted from a running total (the mailbox's `processed`), the growth since
 * the previous count joining the bucket of the count; errors, restarts and processing-time samples
 * join the bucket of their time. A bucket keeps its newest {@link SAMPLES_PER_BUCKET} samples (64), in
 * one plain array for the whole window allocated at the first sample (a probed instance that is
 * never timed costs a few small arrays).
 */
export class SignalWindow {
  private readonly bucketMs: number;
  private readonly epochs = new Array<number>(BUCKETS).fill(-1);
  private readonly messages = new Array<number>(BUCKETS).fill(0);
  private readonly errors = new Array<number>(BUCKETS).fill(0);
  private readonly restarts = new Array<number>(BUCKETS).fill(0);
  private readonly timed = new Array<number>(BUCKETS).fill(0);
  /** Bucket i's samples are at [i × SAMPLES_PER_BUCKET, +min(timed[i], SAMPLES_PER_BUCKET)). */
  private samples: number[] | null = null;
  private cur = 0;
  private curEpoch = -1;
  private lastTotal = 0;

  constructor(readonly windowMs: number) {
    this.bucketMs = windowMs / BUCKETS;
  }

  /**
   * Records a message's processing time, ending at `nowMs`: in the bucket of that time, also when
   * it comes late (timings are added in batches); one already out of the window is dropped.
   */
  record(durationMs: number, nowMs: number): void {
    const i = this.bucketAt(nowMs);
    if (i < 0) return;
    const xs = this.samples ??= new Array<number>(BUCKETS * SAMPLES_PER_BUCKET).fill(0);
    xs[i * SAMPLES_PER_BUCKET + (this.timed[i]++ % SAMPLES_PER_BUCKET)] = durationMs;
  }

  /** Records an error thrown (or a rejection) by a message's handler at `nowMs`. */
  recordError(nowMs: number): void {
    this.errors[this.rotate(nowMs)]++;
  }

  /** Records a restart of the instance at `nowMs`. */
  recordRestart(nowMs: number): void {
    this.restarts[this.rotate(nowMs)]++;
  }

  /** Counts the messages handled since the previous count, from a running `total`, at `nowMs`. */
  countMessages(total: number, nowMs: number): void {
    const i = this.rotate(nowMs);
    if (total > this.lastTotal) this.messages[i] += total - this.lastTotal;
    this.lastTotal = total;
  }

  /** The signals over the window ending at `nowMs`. */
  read(nowMs: number): WindowReading {
    this.rotate(nowMs);
    let messages = 0, errors = 0, restarts = 0, n = 0;
    const segments: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.epochs[i] < 0 || this.epochs[i] <= this.curEpoch - BUCKETS) continue;
      messages += this.messages[i];
      errors += this.errors[i];
      restarts += this.restarts[i];
      const k = Math.min(this.timed[i], SAMPLES_PER_BUCKET);
      if (k > 0) { segments.push([i * SAMPLES_PER_BUCKET, k]); n += k; }
    }
    return {
      messages,
      errors,
      errorRate: messages === 0 ? 0 : Math.min(1, errors / messages),
      latencyP99Ms: this.samples === null ? 0 : p99Of(this.samples, segments),
      latencySamples: n,
      restarts,
    };
  }

  /** The bucket of `nowMs`, a time no later than the newest seen inside the window (-1: already out of it); else as {@link rotate}. */
  private bucketAt(nowMs: number): number {
    const epoch = Math.floor(nowMs / this.bucketMs);
    if (epoch >= this.curEpoch) return this.rotate(nowMs);
    if (epoch <= this.curEpoch - BUCKETS) return -1;
    const i = epoch % BUCKETS;
    if (this.epochs[i] !== epoch) this.clear(i, epoch); // it held a bucket out of the window
    return i;
  }

  /** Moves to the bucket of `nowMs`, clearing it if it held an older epoch. */
  private rotate(nowMs: number): number {
    const epoch = Math.floor(nowMs / this.bucketMs);
    if (epoch > this.curEpoch) {
      const i = epoch % BUCKETS;
      if (this.epochs[i] !== epoch) this.clear(i, epoch);
      this.cur = i;
      this.curEpoch = epoch;
    }
    return this.cur;
  }

  /** Empties bucket `i` for `epoch`. */
  private clear(i: number, epoch: number): void {
    this.epochs[i] = epoch;
    this.messages[i] = 0;
    this.errors[i] = 0;
    this.restarts[i] = 0;
    this.timed[i] = 0;
  }
}
