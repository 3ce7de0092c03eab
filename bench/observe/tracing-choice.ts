// The tracing settings the observe suite compares: off (no `tracing` option), on with untraced
// traffic, and every message its own sampled-or-not request at 1 % and 100 %.

import { sampleAlways, sampleRatio, type ActorSystem, type TracingOptions } from '../../runtime/index.ts';
import type { CaseOption } from '../harness/suite.ts';

/**
 * `off`: createSystem without `tracing`. `on`: tracing on (default sampler), messages sent
 * outside any trace (what internal traffic costs). `1%` / `100%`: `sampleRatio(0.01)` /
 * `sampleAlways()`, each message sent as its own request (`tracing.inSpan('request', …)`), spans
 * to the in-process collector (10 000, the default).
 */
export type TracingChoice = 'off' | 'on' | '1%' | '100%';

/** Reads the `tracing` case option; default `off`. */
export function tracingChoiceOf(options: Readonly<Record<string, CaseOption>>): TracingChoice {
  const t = options.tracing ?? 'off';
  if (t !== 'off' && t !== 'on' && t !== '1%' && t !== '100%') throw new Error(`option tracing=${t}: use off, on, 1% or 100%`);
  return t;
}

/** The `tracing` option of a system for the choice. */
export function tracingOptionsOf(choice: TracingChoice): TracingOptions | undefined {
  switch (choice) {
    case 'off': return undefined;
    case 'on': return {};
    case '1%': return { sampler: sampleRatio(0.01) };
    case '100%': return { sampler: sampleAlways() };
  }
}

/** How a case sends: as is (off, on), or each message as the root of a request (1 %, 100 %). */
export function sendAs<T, R>(system: ActorSystem, choice: TracingChoice, send: (m: T) => R): (m: T) => R {
  if (choice === 'off' || choice === 'on') return send;
  const tracing = system.tracing!;
  return (m) => tracing.inSpan('request', () => send(m));
}
