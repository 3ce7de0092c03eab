// The checks behind `/livez` and `/readyz` (Kubernetes conventions) as plain data, and their text form.

import type { CheckStatus } from './probe-request.ts';
import type { HealthSnapshot } from './health-snapshot.ts';

/** Which endpoint a listing is for. */
export type ListingKind = 'livez' | 'readyz';

/**
 * The result of a `/livez` or `/readyz` evaluation: `ok` when every check that was not excluded
 * passed; `checks` in order (ping first); `excluded` the names left out; `unknownExcludes` the
 * excluded names that matched no check.
 */
export interface CheckListing {
  readonly kind: ListingKind;
  readonly ok: boolean;
  readonly checks: readonly CheckStatus[];
  readonly excluded: readonly string[];
  readonly unknownExcludes: readonly string[];
}

const reasonOf = (reasons: readonly string[], fallback: string): string => (reasons.length > 0 ? reasons.join('; ') : fallback);

/**
 * The checks of a listing (pure):
 * - `livez`: `ping` (the node's actors answer), then one check per instance, named by its path,
 *   passing while the instance is live;
 * - `readyz`: `ping`, then one per service, `service/<name>`, passing unless the service is
 *   unhealthy (at least one instance ready), then one per instance of no service, passing while ready.
 */
export function listChecks(kind: ListingKind, snapshot: HealthSnapshot, ping: CheckStatus): CheckStatus[] {
  const checks: CheckStatus[] = [ping];
  if (kind === 'livez') {
    for (const i of snapshot.instances) {
      checks.push(i.health.live ? { name: i.instance, ok: true } : { name: i.instance, ok: false, reason: reasonOf(i.health.reasons, 'not live') });
    }
    return checks;
  }
  for (const s of snapshot.services) {
    const name = `service/${s.service}`;
    checks.push(s.state !== 'unhealthy' ? { name, ok: true } : { name, ok: false, reason: reasonOf(s.reasons, 'unhealthy') });
  }
  for (const i of snapshot.instances) {
    if (i.service !== undefined) continue;
    checks.push(i.health.ready ? { name: i.instance, ok: true } : { name: i.instance, ok: false, reason: reasonOf(i.health.reasons, 'not ready') });
  }
  return checks;
}

/** Evaluates a listing: leaves out the `exclude`d checks and passes when every other one passes (pure). */
export function evaluateListing(kind: ListingKind, snapshot: HealthSnapshot, ping: CheckStatus, exclude: readonly string[] = []): CheckListing {
  const all = listChecks(kind, snapshot, ping);
  const names = new Set(all.map((c) => c.name));
  const excludedSet = new Set(exclude);
  const checks = all.filter((c) => !excludedSet.has(c.name));
  return {
    kind,
    ok: checks.every((c) => c.ok),
    checks,
    excluded: all.filter((c) => excludedSet.has(c.name)).map((c) => c.name),
    unknownExcludes: [...excludedSet].filter((n) => !names.has(n)),
  };
}

/**
 * Renders a listing as Kubernetes does: `ok` alone when it passed and `verbose` is off;
 * otherwise one line per check — `[+]name ok`, `[-]name failed: reason`, `[+]name excluded: ok` —
 * a warning per unknown exclude, and `<kind> check passed` / `<kind> check failed`.
 */
export function renderListing(listing: CheckListing, verbose: boolean): string {
  if (listing.ok && !verbose) return 'ok\n';
  const lines = listing.checks.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.reason ?? 'failed'}`));
  for (const n of listing.excluded) lines.push(`[+]${n} excluded: ok`);
  for (const n of listing.unknownExcludes) lines.push(`warn: some health checks cannot be excluded: no matches for "${n}"`);
  lines.push(`${listing.kind} check ${listing.ok ? 'passed' : 'failed'}`);
  return `${lines.join('\n')}\n`;
}
