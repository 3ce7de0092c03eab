// Finds the real services (PostgreSQL, NATS) the adapter specs run against. Without one, those
// specs skip and say so; with TROUPE_REQUIRE_SERVICES=1 (CI) a missing service fails the run.

export type ServiceName = 'postgres' | 'nats';

const ENV: Record<ServiceName, string> = { postgres: 'TROUPE_PG_URL', nats: 'TROUPE_NATS_URL' };

/** The service's URL, or undefined after printing why the caller's specs are skipped. */
export function serviceUrl(name: ServiceName, suite: string): string | undefined {
  const url = process.env[ENV[name]];
  if (url) return url;
  if (process.env.TROUPE_REQUIRE_SERVICES === '1') {
    throw new Error(`${suite}: ${ENV[name]} is not set but TROUPE_REQUIRE_SERVICES=1; start ${name} (see .ci/services.sh).`);
  }
  console.log(`  [skip] ${suite}: ${ENV[name]} is not set, so the ${name} specs are skipped (run .ci/run, or export it).`);
  return undefined;
}
