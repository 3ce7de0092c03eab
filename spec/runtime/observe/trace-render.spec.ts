// The text renderer of one trace: the span tree with offsets, durations and waterfall bars, and
// the critical path — the chain of spans that decided when the trace ended.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { criticalPath, renderTrace, type CollectedSpan } from '../../../runtime/index.ts';

const test = suite('trace renderer');

let n = 0;
const span = (name: string, startMs: number, endMs: number, parent: CollectedSpan | undefined, extra: Partial<CollectedSpan> = {}): CollectedSpan => ({
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: (++n).toString(16).padStart(16, '0'), ...(parent ? { parentSpanId: parent.spanId } : {}), name,
  kind: 'consumer', startMs, endMs, durationMs: endMs - startMs, status: 'unset', attributes: {}, links: [], events: [], ...extra,
});

// A request on node a asks node b, which publishes; node c's consumer finishes last.
const root = span('GET /orders', 1000, 1040, undefined, { kind: 'server', attributes: { 'troupe.node': 'a' } });
const ask = span('ask order.place', 1001, 1030, root, { kind: 'client', attributes: { 'messaging.destination.name': '/user/orders', 'troupe.node': 'a' } });
const place = span('process order.place', 1003, 1010, ask, { attributes: { 'troupe.actor.path': '/user/orders', 'troupe.node': 'b' } });
const pub = span('publish orders', 1004, 1008, place, { kind: 'producer', attributes: { 'messaging.destination.name': 'orders', 'troupe.node': 'b' } });
const ship = span('process orders', 1009, 1050, pub, { attributes: { 'messaging.destination.name': 'orders', 'troupe.node': 'c' }, links: [{ traceId: 'x', spanId: 'y' }] });
const audit = span('process audit', 1005, 1006, place, { status: 'error', statusMessage: 'disk\nfull', attributes: { 'troupe.actor.path': '/user/audit', 'troupe.node': 'b' } });
const spans = [audit, ship, root, pub, place, ask]; // any order

test('renders the tree by start time, with offsets, durations, bars, details, errors and the critical path', () => {
  assert.fixture(renderTrace(spans), [
    'trace 0af7651916cd43dd8448eb211c80319c — 6 spans, 50.000 ms, 1 error (* = critical path)',
    '*     0.000    40.000  |################################        |  GET /orders server @a',
    '*     1.000    29.000  |########################                |    ask order.place client /user/orders @a',
    '*     3.000     7.000  |  ######                                |      process order.place consumer /user/orders @b',
    '*     4.000     4.000  |   ####                                 |        publish orders producer orders @b',
    '*     9.000    41.000  |       #################################|          process orders consumer orders @c (1 link)',
    '      5.000     1.000  |    #                                   |        process audit consumer /user/audit @b ERROR: disk full',
  ].join('\n'));
  assert.fixture(renderTrace(spans, { width: 0 }).split('\n')[1], '*     0.000    40.000  GET /orders server @a');
  assert.is(renderTrace([]), '(no spans)');
});

test('the critical path follows the subtree that ends last, through spans that end before their children', () => {
  assert.equal(criticalPath(spans).map((s) => s.name), ['GET /orders', 'ask order.place', 'process order.place', 'publish orders', 'process orders']);
  assert.equal(criticalPath([]), []);
});

test('spans whose parent is not held are roots; ties are broken the same way every time', () => {
  const orphan = span('process late', 1100, 1120, { ...root, spanId: 'ffffffffffffffff' });
  const a = span('a', 0, 10, undefined);
  const b = span('b', 0, 10, undefined);
  assert.equal(criticalPath([root, orphan]).map((s) => s.name), ['process late']);
  assert.equal(criticalPath([a, b]).map((s) => s.name), criticalPath([b, a]).map((s) => s.name));
  assert.is(renderTrace([orphan, root]).split('\n').length, 3);
});

test('a long chain renders without recursion limits', () => {
  const chain: CollectedSpan[] = [span('hop 0', 0, 1, undefined)];
  for (let i = 1; i < 20_000; i++) chain.push(span(`hop ${i}`, i, i + 1, chain[i - 1]));
  assert.is(criticalPath(chain).length, 20_000);
  assert.is(renderTrace(chain, { width: 0 }).split('\n').length, 20_001);
});

test.run();
