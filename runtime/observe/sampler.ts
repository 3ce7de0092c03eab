// Sampling policies as frozen data (always, never, ratio, rate-limited, parent-based) and the
// decision each makes once, at the root of a trace, on the system's seeded random and clock.

import type { SpanContext } from '@opentelemetry/api';
import type { Clock } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { isSampled } from './trace-context.ts';

/**
 * A sampling policy. It is asked once per trace, where the trace starts in this process: a span
 * started with no active context, an HTTP request, or a context from outside (a `traceparent`
 * header or the caller's OpenTelemetry span) — given as `parent`. Everything downstream
 * (messages, asks, replies, remote hops, bus events, journal appends) follows that decision: the
 * sampled flag travels in the `traceparent`.
 *
 * - `always` / `never`: every trace, none (whatever a parent says).
 * - `ratio`: each trace with probability `ratio` (0–1).
 * - `rate-limited`: at most `perSecond` traces a second on the system clock (a token bucket holding one second's worth).
 * - `parent-based` (the default, with root `always`): a parent's sampled flag when there is a parent, else `root` decides.
 */
export type SamplerSpec =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'ratio'; readonly ratio: number }
  | { readonly kind: 'rate-limited'; readonly perSecond: number }
  | { readonly kind: 'parent-based'; readonly root: SamplerSpec };

/** Samples every trace. @example createSystem({ tracing: { sampler: sampleAlways() } }) */
export function sampleAlways(): SamplerSpec {
  return ALWAYS;
}

/** Samples no trace (spans are not recorded; contexts are not propagated). */
export function sampleNever(): SamplerSpec {
  return NEVER;
}

/** Samples each trace with probability `ratio` (0–1). @example sampleRatio(0.01) // 1 % */
export function sampleRatio(ratio: number): SamplerSpec {
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
    throw new TroupeError('invalid-argument', `sampleRatio(${String(ratio)}): give a probability between 0 and 1, e.g. 0.01 for 1 %.`, { field: 'ratio' });
  }
  return Object.freeze({ kind: 'ratio', ratio });
}

/** Samples at most `perSecond` traces per second (system clock). @example sampleRateLimited(100) */
export function sampleRateLimited(perSecond: number): SamplerSpec {
  if (typeof perSecond !== 'number' || !(perSecond > 0) || !Number.isFinite(perSecond)) {
    throw new TroupeError('invalid-argument', `sampleRateLimited(${String(perSecond)}): give a finite number of traces per second > 0.`, { field: 'perSecond' });
  }
  return Object.freeze({ kind: 'rate-limited', perSecond });
}

/**
 * Follows the parent's decision when a trace arrives with one, else asks `root` (default
 * {@link sampleAlways}). The default sampler of `tracing`.
 * @example sampleParentBased(sampleRatio(0.1)) // continue sampled callers, sample 10 % of new traces
 */
export function sampleParentBased(root: SamplerSpec = ALWAYS): SamplerSpec {
  checkSampler(root, 'sampleParentBased(root)');
  return Object.freeze({ kind: 'parent-based', root });
}

const ALWAYS: SamplerSpec = Object.freeze({ kind: 'always' });
const NEVER: SamplerSpec = Object.freeze({ kind: 'never' });

/** The default sampler: parent-based with root always. */
export const DEFAULT_SAMPLER: SamplerSpec = Object.freeze({ kind: 'parent-based', root: ALWAYS });

/** Checks a sampler spec (`invalid-argument` naming `where` and the fix). */
export function checkSampler(spec: unknown, where: string): asserts spec is SamplerSpec {
  const s = spec as SamplerSpec | null;
  const bad = (why: string): never => {
    throw new TroupeError('invalid-argument', `${where}: ${why} Build one with sampleAlways(), sampleNever(), sampleRatio(p), sampleRateLimited(n) or sampleParentBased(root).`, { field: 'sampler' });
  };
  if (typeof s !== 'object' || s === null) bad(`the sampler must be an object, got ${String(spec)}.`);
  switch (s!.kind) {
    case 'always': case 'never': return;
    case 'ratio': if (!(s!.ratio >= 0 && s!.ratio <= 1)) bad(`ratio ${String(s!.ratio)} is not between 0 and 1.`); return;
    case 'rate-limited': if (!(s!.perSecond > 0) || !Number.isFinite(s!.perSecond)) bad(`perSecond ${String(s!.perSecond)} is not a finite number > 0.`); return;
    case 'parent-based': checkSampler(s!.root, `${where} root`); return;
    default: bad(`unknown sampler kind "${String((s as { kind?: unknown }).kind)}".`);
  }
}

/** A live decision: true = record this trace. `parent` is a context from outside, if any. */
export type SampleDecision = (parent: SpanContext | undefined) => boolean;

/**
 * Builds the decision of `spec` on a seeded random and a clock. A ratio draws one number per
 * sampled trace, not per decision (it counts down a geometric skip), so unsampled roots cost a
 * decrement.
 */
export function createSampleDecision(spec: SamplerSpec, random: Random, clock: Clock): SampleDecision {
  switch (spec.kind) {
    case 'always': return () => true;
    case 'never': return () => false;
    case 'ratio': {
      const p = spec.ratio;
      if (p >= 1) return () => true;
      if (p <= 0) return () => false;
      const logQ = Math.log(1 - p);
      // Bernoulli(p) per decision, as skips: the number of misses before the next hit is geometric.
      const draw = (): number => Math.floor(Math.log(1 - random.next()) / logQ);
      let skip = draw();
      return () => {
        if (skip > 0) { skip--; return false; }
        skip = draw();
        return true;
      };
    }
    case 'rate-limited': {
      const rate = spec.perSecond;
      const capacity = Math.max(1, rate);
      let tokens = capacity;
      let last = clock.now();
      return () => {
        const now = clock.now();
        if (now > last) { tokens = Math.min(capacity, tokens + ((now - last) * rate) / 1_000); last = now; }
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
      };
    }
    case 'parent-based': {
      const root = createSampleDecision(spec.root, random, clock);
      return (parent) => (parent === undefined ? root(undefined) : isSampled(parent));
    }
  }
}
