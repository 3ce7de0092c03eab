// A small cron: six fields (second minute hour day-of-month month day-of-week) or the classic
// five (second 0), with * , - and / — matched against UTC wall-clock seconds. Pure.

import { TroupeError } from '../../../runtime/errors.ts';

/** A parsed cron expression: the allowed values of each field. */
export interface Cron {
  readonly source: string;
  readonly second: ReadonlySet<number>;
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly day: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly weekday: ReadonlySet<number>;
  /** Whether day-of-month / day-of-week were restricted (cron ORs them when both are). */
  readonly dayStar: boolean;
  readonly weekdayStar: boolean;
}

const RANGES: readonly [string, number, number][] = [['second', 0, 59], ['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7]];

function field(text: string, [name, min, max]: readonly [string, number, number], source: string): Set<number> {
  const bad = (): TroupeError => new TroupeError('invalid-spec', `cron '${source}': the ${name} field '${text}' is not valid; use *, */n, a, a-b, a-b/n or a list of those, within ${min}–${max}.`, { field: 'cron' });
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (m === null) throw bad();
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw bad();
    for (let v = lo; v <= hi; v += step) out.add(name === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a cron expression; throws `invalid-spec` (data.field `'cron'`) saying which field is wrong. */
export function parseCron(source: string): Cron {
  if (typeof source !== 'string') throw new TroupeError('invalid-spec', `cron must be a string such as '*/5 * * * * *', got ${typeof source}.`, { field: 'cron' });
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new TroupeError('invalid-spec', `cron '${source}' has ${parts.length} fields; give 6 (second minute hour day month weekday) or 5 (minute hour day month weekday).`, { field: 'cron' });
  }
  const f = parts.length === 5 ? ['0', ...parts] : parts;
  const sets = f.map((t, i) => field(t, RANGES[i], source));
  return { source, second: sets[0], minute: sets[1], hour: sets[2], day: sets[3], month: sets[4], weekday: sets[5], dayStar: f[3] === '*', weekdayStar: f[5] === '*' };
}

/** Whether the UTC second starting at `wallMs` matches. */
export function cronMatches(c: Cron, wallMs: number): boolean {
  const d = new Date(wallMs);
  if (!c.second.has(d.getUTCSeconds()) || !c.minute.has(d.getUTCMinutes()) || !c.hour.has(d.getUTCHours()) || !c.month.has(d.getUTCMonth() + 1)) return false;
  const dom = c.day.has(d.getUTCDate());
  const dow = c.weekday.has(d.getUTCDay());
  if (c.dayStar && c.weekdayStar) return true;
  if (c.dayStar) return dow;
  if (c.weekdayStar) return dom;
  return dom || dow;
}

/** The whole-second wall times in [fromMs, toMs) the expression matches, ascending (at most `limit`). */
export function cronTimes(c: Cron, fromMs: number, toMs: number, limit = 10_000): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(fromMs / 1_000) * 1_000; t < toMs && out.length < limit; t += 1_000) if (cronMatches(c, t)) out.push(t);
  return out;
}
