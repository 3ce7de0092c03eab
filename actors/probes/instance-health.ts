// The health of one probed instance, and the report a probe actor sends on every transition.

import type { CheckStatus } from './probe-request.ts';

/**
 * An instance's health state:
 * - `starting` — its startup probe has not succeeded yet, or its readiness probe has not become
 *   ready yet without failing (no answer yet, or fewer successes than its successThreshold);
 * - `healthy` — live, ready, no signal over its threshold;
 * - `degraded` — live and ready, but a measured signal (mailbox depth, latency p99, error rate,
 *   event-loop delay) is over its threshold: it still gets work;
 * - `unhealthy` — not live (liveness or startup failed, or it stopped) or not ready (readiness
 *   failed, or a crash loop): routers should stop sending it work.
 */
export type HealthState = 'starting' | 'healthy' | 'degraded' | 'unhealthy';

/**
 * The health of one instance. `live`, `ready` and `started` are the probes' verdicts (an absent
 * probe counts as passing; `ready` is also false while not live or in a crash loop); `reasons`
 * say why it is not healthy (empty when healthy); `sinceMs` is when `state`, `live`, `ready` or
 * `started` last changed, on the system clock.
 */
export interface InstanceHealth {
  readonly state: HealthState;
  readonly live: boolean;
  readonly ready: boolean;
  readonly started: boolean;
  readonly reasons: readonly string[];
  readonly sinceMs: number;
}

/**
 * What a probe actor sends to its `reportTo` at start, on every transition of its instance's
 * health and when one of its checks turns failing or passing (the reasons are then current). `instance` is the instance's path; `service` the service it belongs to (when given);
 * `checks` the latest result of each probe and of each named check inside the answers
 * (`readiness/db`); `final` is true on the last report, sent when the instance stopped.
 */
export interface HealthReport {
  readonly type: 'health';
  readonly instance: string;
  readonly service?: string;
  readonly health: InstanceHealth;
  readonly checks: readonly CheckStatus[];
  readonly final?: boolean;
}
