// Builders for suite definitions: a metric spec in one call, and the cases of a comparison that
// run one module at one size and differ only in id, label, role and options.

import type { BenchCase, Better, CaseOption, MetricSpec } from './suite.ts';

type Options = Readonly<Record<string, CaseOption>>;

/** The spec of metric `name`, printed with `unit`, where `better` says which direction is good. */
export function metric(name: string, unit: string, better: Better): MetricSpec {
  return { name, unit, better };
}

/**
 * Returns a maker of cases that all run `module` at `size`: each call gives the variant's id,
 * label and role, and its options, spread after the `shared` ones (a variant's key wins).
 * Defaults: `shared` `{}`, a variant's options `{}`.
 *
 * @example
 * const probe = variantsOf(caseUrl('probe-overhead.ts'), 20_000_000, { instances: 1_000 });
 * const cases = [probe('probed', '1 000 instances, probed', 'subject', { mode: 'probed' })];
 */
export function variantsOf(module: string, size: number, shared: Options = {}): (id: string, label: string, role: BenchCase['role'], options?: Options) => BenchCase {
  return (id, label, role, options = {}) => ({ id, label, role, module, size, options: { ...shared, ...options } });
}
