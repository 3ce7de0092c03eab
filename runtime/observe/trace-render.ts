// One trace as text: the span tree with offsets, durations and a waterfall bar, the critical
// path marked — the chain of spans that decided when the trace ended.

import type { CollectedSpan } from './span-collector.ts';

/** Options of {@link renderTrace}: `width` of the waterfall bar in characters (default 40, 0 = none). */
export interface RenderTraceOptions {
  readonly width?: number;
}

interface Node {
  readonly span: CollectedSpan;
  /** Position in the input (a collector lists spans in the order they finished). */
  readonly index: number;
  readonly children: Node[];
  /** The latest end in its subtree. */
  end: number;
}

/** Start time, then input order: spans that start together (virtual time) keep the order they finished in. */
const byStart = (a: Node, b: Node): number => a.span.startMs - b.span.startMs || a.index - b.index;
const bySpanId = (a: Node, b: Node): number => (a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0);

function buildTree(spans: readonly CollectedSpan[]): Node[] {
  const nodes = new Map<string, Node>();
  spans.forEach((s, index) => nodes.set(s.spanId, { span: s, index, children: [], end: s.endMs }));
  const roots: Node[] = [];
  for (const n of nodes.values()) {
    const parent = n.span.parentSpanId === undefined ? undefined : nodes.get(n.span.parentSpanId);
    if (parent === undefined || parent === n) roots.push(n);
    else parent.children.push(n);
  }
  // subtree ends, children before parents (iterative: a long chain of hops is a deep tree)
  const order: Node[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    n.children.sort(byStart);
    order.push(n);
    for (const c of n.children) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) for (const c of order[i].children) order[i].end = Math.max(order[i].end, c.end);
  return roots.sort(byStart);
}

/** The later-ending of two subtrees; ties go to the later start, then the larger span id (whatever the input order). */
function later(a: Node, b: Node): Node {
  if (a.end !== b.end) return a.end > b.end ? a : b;
  if (a.span.startMs !== b.span.startMs) return a.span.startMs > b.span.startMs ? a : b;
  return bySpanId(a, b) >= 0 ? a : b;
}

/**
 * The critical path of a trace: from the root whose subtree ends last, each step goes to the child
 * whose subtree ends last — the chain of spans that decided when the trace ended (shortening any
 * other span would not have ended it sooner). Root first.
 *
 * @example criticalPath(collector.trace(id)).map((s) => s.name)
 */
export function criticalPath(spans: readonly CollectedSpan[]): CollectedSpan[] {
  const roots = buildTree(spans);
  if (roots.length === 0) return [];
  const path: CollectedSpan[] = [];
  let n: Node | undefined = roots.reduce(later);
  while (n !== undefined && path.length < spans.length) {
    path.push(n.span);
    n = n.children.length === 0 ? undefined : n.children.reduce(later);
  }
  return path;
}

const ms = (v: number): string => v.toFixed(3);

/** What a span line shows after its name: kind, actor or topic, node, error. */
function details(s: CollectedSpan): string {
  const a = s.attributes;
  const parts: string[] = [s.kind];
  const where = a['troupe.actor.path'] ?? a['messaging.destination.name'] ?? a['troupe.journal.stream'];
  if (typeof where === 'string') parts.push(where);
  if (typeof a['troupe.node'] === 'string') parts.push(`@${a['troupe.node']}`);
  let text = parts.join(' ');
  if (s.status === 'error') text += ` ERROR${s.statusMessage ? `: ${s.statusMessage.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`;
  if (s.links.length > 0) text += ` (${s.links.length} link${s.links.length === 1 ? '' : 's'})`;
  return text;
}

/**
 * Renders one trace (its spans, e.g. `collector.trace(id)`) as a tree, one span per line: `*` on
 * the critical path, offset from the trace's start and duration in milliseconds, a waterfall
 * bar, then the span's name, kind, actor path or destination, node and error. Deterministic for
 * the same spans.
 *
 * @example
 * console.log(renderTrace(collector.trace(traceId)));
 * // trace 4bf92f35… — 3 spans, 2.000 ms, 0 errors (* = critical path)
 * // *    0.000     2.000  |########################################| request internal
 * // *    0.000     1.000  |####################                    |   process order.place consumer /user/orders @local
 */
export function renderTrace(spans: readonly CollectedSpan[], options: RenderTraceOptions = {}): string {
  const width = Math.max(0, Math.floor(options.width ?? 40));
  if (spans.length === 0) return '(no spans)';
  const roots = buildTree(spans);
  let start = Infinity, end = -Infinity;
  for (const s of spans) { if (s.startMs < start) start = s.startMs; if (s.endMs > end) end = s.endMs; }
  const total = end - start;
  const critical = new Set(criticalPath(spans).map((s) => s.spanId));
  const errors = spans.filter((s) => s.status === 'error').length;
  const lines = [`trace ${spans[0].traceId} — ${spans.length} span${spans.length === 1 ? '' : 's'}, ${ms(total)} ms, ${errors} error${errors === 1 ? '' : 's'} (* = critical path)`];
  const bar = (s: CollectedSpan): string => {
    if (width === 0) return '';
    const from = total > 0 ? Math.min(width - 1, Math.floor(((s.startMs - start) / total) * width)) : 0;
    const to = total > 0 ? Math.max(from + 1, Math.ceil(((s.endMs - start) / total) * width)) : width;
    return `|${' '.repeat(from)}${'#'.repeat(Math.min(width, to) - from)}${' '.repeat(Math.max(0, width - to))}|  `;
  };
  const stack: [Node, number][] = roots.map((r) => [r, 0] as [Node, number]).reverse();
  while (stack.length > 0) {
    const [n, depth] = stack.pop()!;
    const s = n.span;
    lines.push(`${critical.has(s.spanId) ? '*' : ' '} ${ms(s.startMs - start).padStart(9)} ${ms(s.durationMs).padStart(9)}  ${bar(s)}${'  '.repeat(Math.min(depth, 40))}${s.name} ${details(s)}`);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], depth + 1]);
  }
  return lines.join('\n');
}
