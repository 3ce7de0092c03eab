// Specs for the method's schedule: steps at a time, repeated, on a cron, with seeded jitter and
// node picks, expanded to occurrences (pure); the cron subset; bad schedules refused.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { checkSteps, planMethod, type StepSpec } from '../../../actors/chaos/schedule.ts';
import { cronTimes, parseCron } from '../../../actors/chaos/internal/cron.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';

const partition = { kind: 'partition', groups: [['n1'], ['n2', 'n3']] } as const;

test('at, every/times, durations: occurrences with start and end, sorted, instant faults without an end', () => {
  const steps: StepSpec[] = [
    { name: 'cut', fault: partition, at: 1_000, durationMs: 2_000 },
    { name: 'crash', fault: { kind: 'crash', actor: { service: 'orders', instance: 1 } }, at: 500, every: 3_000 },
    { name: 'slow', fault: { kind: 'slow', actor: { path: '/user/orders' }, delayMs: 300 }, at: 4_000, every: 1_000, times: 2 },
    { name: 'pause', fault: { kind: 'pause', node: 'n2' }, at: 8_000 },
  ];
  checkSteps(steps, 10_000, ['n1', 'n2', 'n3']);
  const plan = planMethod(steps, { seed: 1, methodMs: 10_000, startWallMs: 0 });
  assert.equal(plan.map((p) => [p.id, p.atMs, p.endAtMs]), [
    ['crash#1', 500, undefined],
    ['cut#1', 1_000, 3_000],
    ['crash#2', 3_500, undefined],
    ['slow#1', 4_000, 10_000],
    ['slow#2', 5_000, 10_000],
    ['crash#3', 6_500, undefined],
    ['pause#1', 8_000, 10_000],
    ['crash#4', 9_500, undefined],
  ]);
});

test('jitter and node picks are drawn from the seed: same seed, same plan; another seed, another', () => {
  const steps: StepSpec[] = [
    { name: 'kill', fault: { kind: 'kill', node: { oneOf: ['n1', 'n2', 'n3'] } }, at: 0, every: 1_000, jitterMs: 500, durationMs: 300 },
  ];
  const plan = (seed: number) => planMethod(steps, { seed, methodMs: 20_000, startWallMs: 0 }).map((p) => `${Math.round(p.atMs)}@${(p.fault as { node: string }).node}`);
  const a = plan(42);
  assert.is(a.length, 20);
  assert.equal(plan(42), a);
  assert.not.equal(plan(43), a);
  assert.ok(new Set(a.map((x) => x.split('@')[1])).size > 1, 'picks vary across occurrences');
  assert.ok(planMethod(steps, { seed: 42, methodMs: 20_000, startWallMs: 0 }).every((p, i) => p.atMs >= i * 1_000 && p.atMs < i * 1_000 + 500));
});

test('cron: six fields with seconds (or five), matched on the UTC wall clock from the method start', () => {
  const start = Date.UTC(2024, 0, 1, 12, 0, 0, 250);
  const steps: StepSpec[] = [{ name: 'tick', fault: { kind: 'hang', actor: { path: '/user/a' } }, cron: '*/5 * * * * *', durationMs: 1_000 }];
  const plan = planMethod(steps, { seed: 1, methodMs: 20_000, startWallMs: start });
  assert.equal(plan.map((p) => p.atMs), [4_750, 9_750, 14_750, 19_750], 'at :05, :10, :15, :20 after a start at :00.250');
  const c = parseCron('0 30 9-17/4 * * 1-5');
  assert.equal(cronTimes(c, Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)).map((t) => new Date(t).toISOString().slice(11, 19)), ['09:30:00', '13:30:00', '17:30:00'], 'Monday 2024-01-01');
  assert.equal(cronTimes(c, Date.UTC(2024, 0, 6), Date.UTC(2024, 0, 7)), [], 'nothing on Saturday');
  assert.equal(cronTimes(parseCron('15 10 1 1 *'), Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)).length, 1, 'five fields: minute hour day month weekday');
  assert.equal(cronTimes(parseCron('0 0 0 13 * 5'), Date.UTC(2024, 8, 1), Date.UTC(2024, 9, 1)).map((t) => new Date(t).getUTCDate()), [6, 13, 20, 27], 'day of month OR day of week when both are set');
});

test('bad steps are refused with invalid-spec naming the field', () => {
  const cases: [unknown, string][] = [
    [[{ fault: partition, at: -1 }], 'method[0].at'],
    [[{ fault: partition, at: 20_000 }], 'method[0].at'],
    [[{ fault: partition, every: 0 }], 'method[0].every'],
    [[{ fault: partition, times: 3 }], 'method[0].times'],
    [[{ fault: partition, cron: '* * *' }], 'cron'],
    [[{ fault: partition, cron: '61 * * * * *' }], 'cron'],
    [[{ fault: partition, cron: '* * * * * *', at: 5 }], 'method[0].cron'],
    [[{ fault: { kind: 'crash', actor: { path: '/user/a' } }, durationMs: 100 }], 'method[0].durationMs'],
    [[{ fault: partition, name: 'x' }, { fault: partition, name: 'x' }], 'method[1].name'],
    [[{ fault: partition, when: 5 }], 'method[0].when'],
    [[{ fault: { kind: 'kill', node: 'n9' } }], 'method[0].fault.node'],
    [[{ fault: { kind: 'partition', groups: [['n1'], ['n1', 'n2']] } }], 'method[0].fault.groups'],
    [[{ fault: { kind: 'partition', groups: [['n1']] } }], 'method[0].fault.groups'],
    [[{ fault: { kind: 'link', from: '*', to: '*', faults: { loss: 0.1 } } }], 'method[0].fault.to'],
    [[{ fault: { kind: 'link', from: 'n1', to: 'n2', faults: { loss: 2 } } }], 'method[0].fault.faults.loss'],
    [[{ fault: { kind: 'slow', actor: { service: 'orders' }, delayMs: -1 } }], 'method[0].fault.delayMs'],
    [[{ fault: { kind: 'fail', actor: { service: 'orders' }, fraction: 0 } }], 'method[0].fault.fraction'],
    [[{ fault: { kind: 'hang', actor: { service: 'orders', instance: -1 } } }], 'method[0].fault.actor.instance'],
    [[{ fault: { kind: 'hang', actor: { path: 'user/a' } } }], 'method[0].fault.actor.path'],
    [[{ fault: { kind: 'hang', actor: {} } }], 'method[0].fault.actor'],
    [[{ fault: { kind: 'journal', node: 'n1', journal: 'orders', mode: 'full', ops: ['readAll'] } }], 'method[0].fault.ops'],
    [[{ fault: { kind: 'clock-skew', node: 'n1' } }], 'method[0].fault.offsetMs'],
    [[{ fault: { kind: 'clock-skew', node: 'n1', driftRatio: -2 } }], 'method[0].fault.driftRatio'],
    [[{ fault: { kind: 'memory', node: 'n1', bytes: 2 ** 40 } }], 'method[0].fault.bytes'],
    [[{ fault: { kind: 'flood', actor: { path: '/user/a' }, messages: 0 } }], 'method[0].fault.messages'],
    [[{ fault: { kind: 'reboot', node: 'n1' } }], 'method[0].fault.kind'],
    [[{ fault: { kind: 'kill', node: 'n1', restart: false } }], 'method[0].fault.restart'],
  ];
  for (const [steps, field] of cases) {
    try {
      checkSteps(steps as StepSpec[], 10_000, ['n1', 'n2', 'n3']);
      assert.unreachable(`accepted ${JSON.stringify(steps)}`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'), `${JSON.stringify(steps)}: ${String(e)}`);
      assert.is((e as TroupeError).data.field, field, (e as Error).message);
    }
  }
});

test.run();
