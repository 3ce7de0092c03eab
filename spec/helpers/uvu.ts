// uvu's `test` and `suite`, with a time limit on every test (and hook): a hang becomes a failure
// naming the suite and the test. Every spec imports `test`/`suite` from here, not from 'uvu'.

import { suite as uvuSuite, type Callback, type Test } from 'uvu';

/** Default limit per test: `TROUPE_SPEC_LIMIT_MS` or 30 000 ms. Multi-process specs pass their own. */
export const DEFAULT_LIMIT_MS = Number(process.env.TROUPE_SPEC_LIMIT_MS ?? 30_000);

/** After a limit is hit, the process may still hold the hung work; exit once everything else is done. */
let exitArmed = false;
function armExit(): void {
  if (exitArmed) return;
  exitArmed = true;
  process.exitCode = 1;
  // Unref'd: it only fires while something else (the hung work) keeps the process alive.
  setTimeout(() => {
    console.error('A spec hit its time limit and left work running; exiting.');
    process.exit(1);
  }, 30_000).unref();
}

function limited<T>(where: string, fn: Callback<T>, limitMs: number): Callback<T> {
  return (ctx) => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        armExit();
        reject(new Error(`time limit of ${limitMs} ms exceeded: ${where}`));
      }, limitMs);
    });
    return Promise.race([Promise.resolve().then(() => fn(ctx)), limit]).finally(() => clearTimeout(timer));
  };
}

/** Options of {@link suite}: `limitMs` per test and hook (default {@link DEFAULT_LIMIT_MS}). */
export interface SuiteLimits {
  readonly limitMs?: number;
}

/** uvu's `suite`, every test and hook bounded by `limitMs`. */
export function suite<T = Record<string, unknown>>(title = 'tests', context?: T, limits: SuiteLimits = {}): Test<T> {
  const inner = uvuSuite<T>(title, context);
  const ms = limits.limitMs ?? DEFAULT_LIMIT_MS;
  const wrapped = ((name: string, fn: Callback<T>) => inner(name, limited(`${title} › ${name}`, fn, ms))) as Test<T>;
  wrapped.only = (name, fn) => inner.only(name, limited(`${title} › ${name}`, fn, ms));
  wrapped.skip = (name, fn) => inner.skip(name, fn);
  const hook = (h: Test<T>['before'], kind: string): Test<T>['before'] => {
    const f = ((fn: Callback<T>) => h(limited(`${title} › ${kind}`, fn, ms))) as Test<T>['before'];
    f.each = (fn) => h.each(limited(`${title} › ${kind}.each`, fn, ms));
    return f;
  };
  wrapped.before = hook(inner.before, 'before');
  wrapped.after = hook(inner.after, 'after');
  wrapped.run = () => inner.run();
  return wrapped;
}

/** uvu's default `test`, bounded; failures name the spec file that registered the test. */
export const test: Test<Record<string, unknown>> = (() => {
  const inner = uvuSuite<Record<string, unknown>>();
  const t = ((name: string, fn: Callback<Record<string, unknown>>) => inner(name, limited(`${callerFile()} › ${name}`, fn, DEFAULT_LIMIT_MS))) as Test<Record<string, unknown>>;
  t.only = (name, fn) => inner.only(name, limited(`${callerFile()} › ${name}`, fn, DEFAULT_LIMIT_MS));
  t.skip = (name, fn) => inner.skip(name, fn);
  t.before = inner.before;
  t.after = inner.after;
  t.run = () => inner.run();
  return t;
})();

function callerFile(): string {
  const line = new Error().stack?.split('\n').find((l) => l.includes('.spec.ts')) ?? '';
  const m = /([\w.-]+\.spec\.ts)/.exec(line);
  return m?.[1] ?? 'spec';
}
