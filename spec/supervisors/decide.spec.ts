import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { directiveFor, restartTargets } from '../../supervisors/decide.ts';
import type { Directive, RestartType, Strategy } from '../../supervisors/strategy.ts';

const test = suite('decide');

test('directiveFor: the decider decides, temporary children are never restarted, a throwing decider escalates', () => {
  const cases: [Directive | 'throws', RestartType, Directive][] = [
    ['restart', 'permanent', 'restart'], ['restart', 'transient', 'restart'], ['restart', 'temporary', 'stop'],
    ['resume', 'temporary', 'resume'], ['stop', 'permanent', 'stop'], ['escalate', 'transient', 'escalate'],
    ['throws', 'permanent', 'escalate'],
  ];
  for (const [answer, restart, expected] of cases) {
    const decider = (): Directive => { if (answer === 'throws') throw new Error('bad decider'); return answer; };
    assert.is(directiveFor(decider, restart, new Error('x')), expected, `${answer} / ${restart}`);
  }
});

test('restartTargets per strategy, in start order', () => {
  const kids = ['a', 'b', 'c', 'd'];
  const cases: [Strategy, string, string[]][] = [
    ['one-for-one', 'c', ['c']], ['one-for-all', 'c', ['a', 'b', 'c', 'd']], ['rest-for-one', 'b', ['b', 'c', 'd']],
    ['rest-for-one', 'd', ['d']], ['rest-for-one', 'a', ['a', 'b', 'c', 'd']], ['rest-for-one', 'zz', ['zz']],
  ];
  for (const [strategy, failed, expected] of cases) assert.equal(restartTargets(strategy, kids, failed), expected, `${strategy} ${failed}`);
});

test.run();
