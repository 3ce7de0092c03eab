// Reading /metrics output in specs: families through a real Prometheus text parser (it throws on
// any malformed line), and single sample values by exact name and labels.

import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

/** Every family of `text`, by name (the parser throws on a line Prometheus could not read). */
export function parseFamilies(text: string): Map<string, PromFamily> {
  return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
}

/** The sample line `name{labels}`'s value (labels compared as a set; none given = no labels), or undefined. */
export function sampleValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = (m[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter((s) => s.length > 0).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return undefined;
}

/** Number of sample lines of family `name` (its `_bucket`/`_sum`/`_count` lines included). */
export function seriesCount(text: string, name: string): number {
  return text.split('\n').filter((l) => !l.startsWith('#') && (l.startsWith(`${name}{`) || l.startsWith(`${name} `) || l.startsWith(`${name}_`))).length;
}
