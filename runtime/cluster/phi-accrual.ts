// Phi-accrual failure detector (Hayashibara et al. 2004, as Akka's PhiAccrualFailureDetector):
// a suspicion level that grows with silence, scaled by the observed heartbeat intervals. Pure.

import { TroupeError } from '../errors.ts';

/**
 * Settings of a phi-accrual detector; every field is optional.
 * - `threshold` — phi at and above which the monitored node is suspected. Default `8`
 *   (phi 8 ≈ a 1e-8 chance that a heartbeat is merely late). Lower detects faster but errs more.
 * - `maxSampleSize` — how many recent inter-arrival intervals feed the mean and deviation.
 *   Default `200`.
 * - `minStdDeviationMs` — floor on the standard deviation, so very regular heartbeats do not make
 *   phi jump at the first small delay. Default `100`.
 * - `acceptableHeartbeatPauseMs` — a pause tolerated on top of the mean interval (GC, network
 *   hiccups) before phi starts to climb in earnest. Default `3000`.
 * - `firstHeartbeatEstimateMs` — the interval assumed before any is observed: the history starts
 *   with two samples, estimate ± estimate/4. Default `1000`.
 */
export interface PhiAccrualOptions {
  readonly threshold?: number;
  readonly maxSampleSize?: number;
  readonly minStdDeviationMs?: number;
  readonly acceptableHeartbeatPauseMs?: number;
  readonly firstHeartbeatEstimateMs?: number;
}

/** A failure detector for one monitored node. Every time is passed in, on one monotonic clock. */
export interface PhiAccrualDetector {
  /**
   * Records a heartbeat at `nowMs`. Its interval joins the history only while the node is
   * available (the first heartbeat after a suspected failure would skew the statistics); a
   * heartbeat earlier than the latest one is ignored.
   */
  heartbeat(nowMs: number): void;
  /** Suspicion at `nowMs`: `-log10(P(a heartbeat arrives later than now))`. 0 before any heartbeat. */
  phi(nowMs: number): number;
  /** `phi(nowMs) < threshold`. True before any heartbeat (an unmonitored node is not suspected). */
  isAvailable(nowMs: number): boolean;
  /** Whether at least one heartbeat was recorded. */
  readonly isMonitoring: boolean;
  /** The settings in force, defaults filled in. */
  readonly options: Required<PhiAccrualOptions>;
}

/**
 * Creates a phi-accrual failure detector. Phi is computed as in Akka: with `mean` and `sd` the
 * mean and (floored) standard deviation of the recorded intervals and `t` the time since the last
 * heartbeat, `y = (t - (mean + acceptableHeartbeatPauseMs)) / sd`, and the normal CDF is taken by
 * its logistic approximation `1 / (1 + e^(-y (1.5976 + 0.070566 y²)))`.
 * Invalid settings throw `TroupeError('invalid-argument')`.
 *
 * @example
 * const fd = createPhiAccrualDetector({ acceptableHeartbeatPauseMs: 1_000 });
 * fd.heartbeat(0); fd.heartbeat(1_000);
 * fd.isAvailable(1_500); // true
 * fd.isAvailable(10_000); // false
 */
export function createPhiAccrualDetector(options: PhiAccrualOptions = {}): PhiAccrualDetector {
  const settings: Required<PhiAccrualOptions> = {
    threshold: options.threshold ?? 8,
    maxSampleSize: options.maxSampleSize ?? 200,
    minStdDeviationMs: options.minStdDeviationMs ?? 100,
    acceptableHeartbeatPauseMs: options.acceptableHeartbeatPauseMs ?? 3000,
    firstHeartbeatEstimateMs: options.firstHeartbeatEstimateMs ?? 1000,
  };
  check(settings.threshold > 0, `threshold must be > 0 (got ${settings.threshold}); 8 is a common choice.`);
  check(Number.isInteger(settings.maxSampleSize) && settings.maxSampleSize > 0, `maxSampleSize must be an integer > 0 (got ${settings.maxSampleSize}).`);
  check(settings.minStdDeviationMs > 0, `minStdDeviationMs must be > 0 (got ${settings.minStdDeviationMs}).`);
  check(settings.acceptableHeartbeatPauseMs >= 0, `acceptableHeartbeatPauseMs must be >= 0 (got ${settings.acceptableHeartbeatPauseMs}).`);
  check(settings.firstHeartbeatEstimateMs > 0, `firstHeartbeatEstimateMs must be > 0 (got ${settings.firstHeartbeatEstimateMs}).`);

  const history = new IntervalHistory(settings.maxSampleSize);
  let lastMs: number | undefined;

  const phi = (nowMs: number): number => {
    if (lastMs === undefined) return 0;
    const mean = history.mean() + settings.acceptableHeartbeatPauseMs;
    const sd = Math.max(history.stdDeviation(), settings.minStdDeviationMs);
    return phiOf(nowMs - lastMs, mean, sd);
  };

  return {
    heartbeat(nowMs) {
      if (lastMs === undefined) {
        const estimate = settings.firstHeartbeatEstimateMs;
        history.add(estimate - estimate / 4);
        history.add(estimate + estimate / 4);
      } else if (nowMs < lastMs) {
        return;
      } else if (phi(nowMs) < settings.threshold) {
        history.add(nowMs - lastMs);
      }
      lastMs = nowMs;
    },
    phi,
    isAvailable: (nowMs) => phi(nowMs) < settings.threshold,
    get isMonitoring() { return lastMs !== undefined; },
    options: settings,
  };
}

/**
 * `-log10(1 - F(timeDiff))` for F the CDF of N(mean, sd), by the logistic approximation (error
 * about 1.4e-4 at y = ±3.16). Two branches keep precision in each tail.
 */
export function phiOf(timeDiffMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (timeDiffMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return timeDiffMs > meanMs ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

/** The last `max` intervals with running sums for mean and variance. */
class IntervalHistory {
  private readonly ring: number[] = [];
  private next = 0;
  private sum = 0;
  private squares = 0;

  constructor(private readonly max: number) {}

  add(interval: number): void {
    if (this.ring.length === this.max) {
      const old = this.ring[this.next];
      this.sum -= old;
      this.squares -= old * old;
      this.ring[this.next] = interval;
      this.next = (this.next + 1) % this.max;
    } else {
      this.ring.push(interval);
    }
    this.sum += interval;
    this.squares += interval * interval;
  }

  mean(): number { return this.sum / this.ring.length; }

  stdDeviation(): number {
    const mean = this.mean();
    return Math.sqrt(Math.max(0, this.squares / this.ring.length - mean * mean));
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new TroupeError('invalid-argument', message);
}
