// Per-actor-class metrics. Counts that cells keep anyway (mailbox processed / size / high-water,
// restarts) are read at scrape time by walking the live tree, plus what retired actors left behind;
// only sampled handler times, asks and dead letters are counted as they happen.

import type { Process } from '../../internal/process.ts';
import type { CounterChild, HistogramChild } from './metric-family.ts';
import type { RuntimeFamilies } from './runtime-families.ts';
import { Sampler } from './sampler.ts';

/** A live actor as the walk sees it. */
export interface WalkedCell {
  readonly def: { readonly name: string };
  readonly alive: boolean;
  readonly restarts: number;
  readonly mailbox: { stats(): { readonly size: number; readonly highWater: number; readonly processed: number } };
  readonly kids: ReadonlyMap<string, WalkedCell> | null;
}

/** What retired actors of one class left behind, and its live series. */
interface ClassStats {
  processed: number;
  restarts: number;
  highWater: number;
  processing: HistogramChild | null;
  asks: CounterChild | null;
  askLatency: HistogramChild | null;
  askTimeouts: CounterChild | null;
}

interface Walk {
  readonly alive: Map<string, number>;
  readonly processed: Map<string, number>;
  readonly depth: Map<string, number>;
  readonly highWater: Map<string, number>;
  readonly restarts: Map<string, number>;
}

const add = (m: Map<string, number>, k: string, v: number): void => { m.set(k, (m.get(k) ?? 0) + v); };

/** The class label of a process: its definition name, `ask` for an ask's reply address, `remote` for another node's actor. */
export function classOf(p: Process): string {
  const def = (p as { def?: { name?: unknown } }).def;
  if (def !== undefined && typeof def.name === 'string') return def.name;
  return p.address.node !== p.host.node ? 'remote' : 'ask';
}

/** Per-class metrics of one system. */
export class ActorMetrics {
  readonly handlers: Sampler;
  readonly asks: Sampler;
  private readonly classes = new Map<string, ClassStats>();
  private readonly deadLetterSeries = new Map<string, CounterChild>();
  private walked: Walk | null = null;

  constructor(private readonly f: RuntimeFamilies, private readonly root: () => WalkedCell, sampleEvery: number | undefined) {
    this.handlers = new Sampler(sampleEvery);
    this.asks = new Sampler(sampleEvery);
    const series = (pick: (w: Walk) => Map<string, number>) => (emit: (labels: { actor_class: string }, v: number) => void): void => {
      for (const [k, v] of pick(this.walk())) emit({ actor_class: k }, v);
    };
    f.actorsAlive.collect(series((w) => w.alive));
    f.processed.collect(series((w) => w.processed));
    f.mailboxDepth.collect(series((w) => w.depth));
    f.mailboxHighWater.collect(series((w) => w.highWater));
    f.restarts.collect(series((w) => w.restarts));
  }

  private stats(cls: string): ClassStats {
    let s = this.classes.get(cls);
    if (s === undefined) {
      s = { processed: 0, restarts: 0, highWater: 0, processing: null, asks: null, askLatency: null, askTimeouts: null };
      this.classes.set(cls, s);
    }
    return s;
  }

  /** A timed message took `ms` and stands for `weight` messages. */
  handled(cls: string, ms: number, weight: number): void {
    const s = this.stats(cls);
    (s.processing ??= this.f.processing.child({ actor_class: cls })).observe(ms / 1000, weight);
  }

  /** An actor died: its counters move to its class's retired totals. */
  retired(cell: WalkedCell): void {
    const st = cell.mailbox.stats();
    const s = this.stats(cell.def.name);
    s.processed += st.processed;
    s.restarts += cell.restarts;
    if (st.highWater > s.highWater) s.highWater = st.highWater;
  }

  deadLetter(recipient: Process, reason: string): void {
    const cls = classOf(recipient);
    const k = `${cls}\u0000${reason}`;
    let c = this.deadLetterSeries.get(k);
    if (c === undefined) {
      c = this.f.deadLetters.child({ actor_class: cls, reason });
      this.deadLetterSeries.set(k, c);
    }
    c.value++;
  }

  askStarted(target: Process): void {
    const cls = classOf(target);
    const s = this.stats(cls);
    (s.asks ??= this.f.asks.child({ actor_class: cls })).value++;
  }

  askReplied(target: Process, ms: number, weight: number): void {
    this.asks.observed(ms);
    const cls = classOf(target);
    const s = this.stats(cls);
    (s.askLatency ??= this.f.askLatency.child({ actor_class: cls })).observe(ms / 1000, weight);
  }

  askTimedOut(target: Process): void {
    const cls = classOf(target);
    const s = this.stats(cls);
    (s.askTimeouts ??= this.f.askTimeouts.child({ actor_class: cls })).value++;
  }

  /** One walk of the live tree per scrape (every family's collector of one render shares it). */
  private walk(): Walk {
    if (this.walked !== null) return this.walked;
    const w: Walk = { alive: new Map(), processed: new Map(), depth: new Map(), highWater: new Map(), restarts: new Map() };
    for (const [cls, s] of this.classes) {
      if (s.processed > 0) add(w.processed, cls, s.processed);
      if (s.restarts > 0) add(w.restarts, cls, s.restarts);
      if (s.highWater > 0) w.highWater.set(cls, s.highWater);
    }
    const stack: WalkedCell[] = [];
    const top = this.root().kids;
    if (top !== null) for (const c of top.values()) stack.push(c);
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (c.kids !== null) for (const k of c.kids.values()) stack.push(k);
      if (!c.alive) continue;
      const cls = c.def.name;
      const st = c.mailbox.stats();
      add(w.alive, cls, 1);
      add(w.processed, cls, st.processed);
      add(w.depth, cls, st.size);
      add(w.restarts, cls, c.restarts);
      if (st.highWater > (w.highWater.get(cls) ?? 0)) w.highWater.set(cls, st.highWater);
    }
    this.walked = w;
    void Promise.resolve().then(() => { this.walked = null; }); // valid for the families of this one render
    return w;
  }
}
