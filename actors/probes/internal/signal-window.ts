// An instance's measured signals over a sliding window of time buckets: messages, thrown errors,
// restarts and sampled processing times (p99). Cheap per message: timing is sampled.

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
/** Every message of a bucket is timed until it holds this many samples; then 1 in {@link SPARSE}. */
const DENSE_SAMPLES = 128;
/** Power-of-two mask: once a bucket is dense, one message in 64 is timed (it also rotates buckets). */
const SPARSE = 63;

/** The p99 of `xs` by nearest rank (0 for none). Sorts `xs`. */
export function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  xs.sort((a, b) => a - b);
  return xs[Math.ceil(0.99 * xs.length) - 1];
}

/**
 * A sliding window of `windowMs` in {@link BUCKETS} buckets, indexed by time on the caller's
 * clock. Messages are counted without reading the clock (they join the current bucket at its
 * next rotation); `shouldTime` says which messages to time: every one until the bucket holds
 * {@link DENSE_SAMPLES} samples, then one in 64, the newest overwriting the oldest. Buckets
 * rotate when a timed message, an error, a restart or a read lands in a later one (so after a
 * dense bucket up to 63 messages of the next go untimed).
 */
export class SignalWindow {
  private readonly bucketMs: number;
  private readonly epochs = new Array<number>(BUCKETS).fill(-1);
  private readonly messages = new Array<number>(BUCKETS).fill(0);
  private readonly errors = new Array<number>(BUCKETS).fill(0);
  private readonly restarts = new Array<number>(BUCKETS).fill(0);
  private readonly timed = new Array<number>(BUCKETS).fill(0);
  private readonly samples: number[][] = Array.from({ length: BUCKETS }, () => []);
  private cur = 0;
  private curEpoch = -1;
  /** Samples in the current bucket (a copy of `timed[cur]`, read on every message). */
  private fill = 0;
  private pending = 0;
  private skip = 0;

  constructor(readonly windowMs: number) {
    this.bucketMs = windowMs / BUCKETS;
  }

  /** Counts one message; true when it should be timed (then call {@link record}). */
  shouldTime(): boolean {
    this.pending++;
    return this.fill < DENSE_SAMPLES || (++this.skip & SPARSE) === 0;
  }

  /** Records a timed message's processing time, ending at `nowMs`. */
  record(durationMs: number, nowMs: number): void {
    const i = this.rotate(nowMs);
    const n = this.timed[i]++;
    this.samples[i][n % DENSE_SAMPLES] = durationMs;
    this.fill = this.timed[i];
  }

  /** Records an error thrown (or a rejection) by a message's handler at `nowMs`. */
  recordError(nowMs: number): void {
    this.errors[this.rotate(nowMs)]++;
  }

  /** Records a restart of the instance at `nowMs`. */
  recordRestart(nowMs: number): void {
    this.restarts[this.rotate(nowMs)]++;
  }

  /** The signals over the window ending at `nowMs`. */
  read(nowMs: number): WindowReading {
    this.rotate(nowMs);
    let messages = 0, errors = 0, restarts = 0;
    const xs: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.epochs[i] < 0 || this.epochs[i] <= this.curEpoch - BUCKETS) continue;
      messages += this.messages[i];
      errors += this.errors[i];
      restarts += this.restarts[i];
      for (const x of this.samples[i]) xs.push(x);
    }
    return {
      messages,
      errors,
      errorRate: messages === 0 ? 0 : Math.min(1, errors / messages),
      latencyP99Ms: p99(xs),
      latencySamples: xs.length,
      restarts,
    };
  }

  /** Moves to the bucket of `nowMs` (clearing it if it held an older epoch) and adds the pending messages. */
  private rotate(nowMs: number): number {
    const epoch = Math.floor(nowMs / this.bucketMs);
    if (epoch > this.curEpoch) {
      const i = epoch % BUCKETS;
      if (this.epochs[i] !== epoch) {
        this.epochs[i] = epoch;
        this.messages[i] = 0;
        this.errors[i] = 0;
        this.restarts[i] = 0;
        this.timed[i] = 0;
        this.samples[i] = [];
      }
      this.cur = i;
      this.curEpoch = epoch;
      this.fill = this.timed[i];
    }
    if (this.pending > 0) { this.messages[this.cur] += this.pending; this.pending = 0; }
    return this.cur;
  }
}
