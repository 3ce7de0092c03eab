// Prints a suite result as plain-text tables: medians per case, ratios to the baseline on the
// headline metric, and target verdicts.

import type { ComparisonResult, SuiteResult } from './run-suite.ts';

/** Formats a figure for its unit: rates get k/M suffixes, the rest 3 significant digits. */
export function formatFigure(x: number | undefined, unit: string): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (unit.endsWith('/s')) {
    if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
    if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
    return x.toFixed(0);
  }
  return x >= 1000 ? x.toFixed(0) : x.toPrecision(3);
}

const fmtRatio = (r: number | undefined): string => (r === undefined ? '—' : `${r >= 100 ? r.toFixed(0) : r.toPrecision(3)}×`);

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd());
}

function comparisonLines(cmp: ComparisonResult): string[] {
  const head = cmp.metrics[0];
  const subjects = cmp.cases.filter((c) => c.role === 'subject' && c.status === 'ok');
  const subject = subjects.length === 1 ? subjects[0] : undefined;
  const ratio = (of: string, to: string): number | undefined =>
    cmp.ratios.find((r) => r.of === of && r.to === to && r.metric === head.name)?.value;
  const rows: string[][] = [[
    'case', ...cmp.metrics.map((m) => `${m.name} (${m.unit})`), `÷ ${cmp.baseline}`,
    ...(subject ? [`${subject.id} ÷ this`] : []),
  ]];
  const notes: string[] = [];
  for (const c of cmp.cases) {
    if (c.status !== 'ok') {
      notes.push(`  ${c.status === 'skipped' ? 'SKIPPED' : 'FAILED'} ${c.id}: ${(c.reason ?? '').split('\n')[0]}`);
      continue;
    }
    rows.push([
      `${c.label}${c.id === cmp.baseline ? ' [baseline]' : ''}`,
      ...cmp.metrics.map((m) => formatFigure(c.median[m.name], m.unit)),
      c.id === cmp.baseline ? '1.00×' : fmtRatio(ratio(c.id, cmp.baseline)),
      ...(subject ? [c.id === subject.id ? '' : fmtRatio(ratio(subject.id, c.id))] : []),
    ]);
  }
  const out = [`\n${cmp.title}  [${cmp.id}]`, ...table(rows).map((l) => `  ${l}`), ...notes];
  for (const t of cmp.targets) {
    const bar = `${t.op} ${t.value}${t.aim === undefined ? '' : `, aim ${t.aim}${t.aimMet === undefined ? '' : t.aimMet ? ' reached' : ' not reached'}`}`;
    const got = t.actual === null ? 'no figure' : t.actual.toPrecision(3);
    out.push(`  target ${t.status.toUpperCase().padEnd(7)} ${t.text}: ${got} (${bar})`);
  }
  return out;
}

/** The whole report for `result` as lines (header with machine info, then one block per comparison). */
export function reportLines(result: SuiteResult): string[] {
  const m = result.machine;
  return [
    `\n### suite ${result.suite}: ${result.description}`,
    `node ${m.node}, ${m.cpus}× ${m.cpuModel}, load ${m.loadAvg.join('/')}; medians of ${result.config.runs} fresh processes` +
      `${result.config.scale === 1 ? '' : `, sizes ×${result.config.scale}`}; took ${(result.durationMs / 1000).toFixed(0)} s`,
    ...result.comparisons.flatMap(comparisonLines),
  ];
}
