// Specs of probe settings: Kubernetes' defaults filled in, and every bad field named in a typed `invalid-spec`.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { DEFAULT_PROBE, DEFAULT_SIGNALS, resolveProbeConfig, type ProbeConfig } from '../../../actors/probes/probe-config.ts';

const config = suite('probe config');

/** Asserts that resolving `c` throws invalid-spec naming `field`, with a message containing `text`. */
function rejects(c: unknown, field: string, text: string): void {
  try {
    resolveProbeConfig(c as ProbeConfig, 'spec');
  } catch (e) {
    assert.ok(isTroupeError(e, 'invalid-spec'), `expected invalid-spec for ${field}, got ${String(e)}`);
    assert.is(e.data.field, field);
    assert.ok(e.message.includes(text), `"${e.message}" should say "${text}"`);
    return;
  }
  assert.unreachable(`${JSON.stringify(c)} should be rejected (${field})`);
}

config('the defaults are Kubernetes\': period 10 s, timeout 1 s, no initial delay, thresholds 3 and 1 (aligned to a tenth of the period)', () => {
  assert.equal(DEFAULT_PROBE, { periodMs: 10_000, timeoutMs: 1_000, initialDelayMs: 0, failureThreshold: 3, successThreshold: 1, alignMs: 1_000 });
  const r = resolveProbeConfig(undefined, 'spec');
  assert.equal(r.liveness, DEFAULT_PROBE);
  assert.equal(r.readiness, DEFAULT_PROBE);
  assert.is(r.startup, null, 'no startup probe unless asked for');
  assert.equal(r.signals, DEFAULT_SIGNALS);
  assert.equal(DEFAULT_SIGNALS, { mailboxDepth: 1_000, latencyP99Ms: 1_000, errorRate: 0.2, minMessages: 10, eventLoopDelayMs: 200, maxRestarts: 3, failureThreshold: 2, successThreshold: 2 });
});

config('present probes run with their settings over the defaults; absent ones do not; signals can be off', () => {
  const r = resolveProbeConfig({ startup: { periodMs: 500, failureThreshold: 30 }, readiness: { successThreshold: 2 }, signals: false }, 'spec');
  assert.equal(r.startup, { ...DEFAULT_PROBE, periodMs: 500, timeoutMs: 500, failureThreshold: 30, alignMs: 50 }, "the timeout defaults to the period when shorter, the alignment to a tenth of it");
  assert.is(resolveProbeConfig({ liveness: { periodMs: 2_000, alignMs: 0 } }, 'spec').liveness!.alignMs, 0, 'alignment off');
  assert.equal(resolveProbeConfig({ liveness: { periodMs: 2_000, alignMs: undefined, timeoutMs: undefined } }, 'spec').liveness, { ...DEFAULT_PROBE, periodMs: 2_000, alignMs: 200 }, 'a setting given as undefined takes its default');
  assert.is(resolveProbeConfig({ liveness: { periodMs: 2_000, alignMs: 2_000 } }, 'spec').liveness!.alignMs, 2_000, 'at most a period');
  assert.is(r.liveness, null);
  assert.is(r.readiness!.successThreshold, 2);
  assert.is(r.signals, null);
  assert.is(resolveProbeConfig({ liveness: {}, signals: { latencyP99Ms: 50, errorRate: Infinity } }, 'spec').signals!.latencyP99Ms, 50);
});

config('bad fields are named, with the fix', () => {
  rejects(null, 'probes', 'must be an object');
  rejects({}, 'probes', 'no probe');
  rejects({ signals: {} }, 'probes', 'no probe');
  rejects({ livenes: {} }, 'probes.livenes', 'use startup, liveness, readiness, signals');
  rejects({ liveness: null }, 'probes.liveness', '({} for the defaults)');
  rejects({ liveness: { periodSeconds: 10 } }, 'probes.liveness.periodSeconds', 'use periodMs');
  rejects({ liveness: { periodMs: 0 } }, 'probes.liveness.periodMs', 'positive');
  rejects({ liveness: { periodMs: Infinity } }, 'probes.liveness.periodMs', 'positive');
  rejects({ readiness: { timeoutMs: -1 } }, 'probes.readiness.timeoutMs', 'positive');
  rejects({ readiness: { timeoutMs: 1_500, periodMs: 5_000 } }, 'probes.readiness.timeoutMs', 'at most 1000 ms');
  rejects({ readiness: { timeoutMs: 800, periodMs: 500 } }, 'probes.readiness.timeoutMs', 'must not exceed periodMs');
  rejects({ startup: { initialDelayMs: -5 } }, 'probes.startup.initialDelayMs', '≥ 0');
  rejects({ liveness: { alignMs: -1 } }, 'probes.liveness.alignMs', 'from 0 to periodMs');
  rejects({ liveness: { periodMs: 1_000, alignMs: 1_001 } }, 'probes.liveness.alignMs', 'from 0 to periodMs (1000');
  rejects({ readiness: { alignMs: NaN } }, 'probes.readiness.alignMs', '0 = not aligned');
  rejects({ liveness: { failureThreshold: 0 } }, 'probes.liveness.failureThreshold', 'integer ≥ 1');
  rejects({ liveness: { failureThreshold: 1.5 } }, 'probes.liveness.failureThreshold', 'integer ≥ 1');
  rejects({ readiness: { successThreshold: 0 } }, 'probes.readiness.successThreshold', 'integer ≥ 1');
  rejects({ liveness: { successThreshold: 2 } }, 'probes.liveness.successThreshold', 'must be 1 for a liveness probe');
  rejects({ startup: { successThreshold: 3 } }, 'probes.startup.successThreshold', 'must be 1 for a startup probe');
  rejects({ liveness: {}, signals: 'on' }, 'probes.signals', 'or false');
  rejects({ liveness: {}, signals: { depth: 3 } }, 'probes.signals.depth', 'use mailboxDepth');
  rejects({ liveness: {}, signals: { mailboxDepth: -1 } }, 'probes.signals.mailboxDepth', '≥ 0');
  rejects({ liveness: {}, signals: { latencyP99Ms: '5' } }, 'probes.signals.latencyP99Ms', '≥ 0');
  rejects({ liveness: {}, signals: { errorRate: 1.5 } }, 'probes.signals.errorRate', 'between 0 and 1');
  rejects({ liveness: {}, signals: { errorRate: null } }, 'probes.signals.errorRate', 'between 0 and 1');
  rejects({ liveness: {}, signals: { failureThreshold: 0 } }, 'probes.signals.failureThreshold', 'integer ≥ 1');
  rejects({ liveness: {}, signals: { successThreshold: 2.5 } }, 'probes.signals.successThreshold', 'integer ≥ 1');
});

config.run();
