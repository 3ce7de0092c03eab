// The pending asks of a system: an intrusive list (O(1) add and remove, no hashing on the hot
// path) plus an index of those whose reply address went to another node, to route replies.

/** What the registry links: a pending ask. */
export interface PendingAsk {
  readonly n: number;
  prevAsk: PendingAsk | null;
  nextAsk: PendingAsk | null;
}

export class AskRegistry<A extends PendingAsk> {
  private head: A | null = null;
  private exported: Map<number, A> | null = null;

  add(p: A): void {
    p.nextAsk = this.head;
    if (this.head !== null) this.head.prevAsk = p;
    this.head = p;
  }

  remove(p: A): void {
    if (p.prevAsk !== null) p.prevAsk.nextAsk = p.nextAsk;
    else if (this.head === p) this.head = p.nextAsk as A | null;
    if (p.nextAsk !== null) p.nextAsk.prevAsk = p.prevAsk;
    p.prevAsk = p.nextAsk = null;
    if (this.exported !== null) this.exported.delete(p.n);
  }

  /** Makes a pending ask findable by number (its reply address left this node). */
  export(p: A): void {
    (this.exported ??= new Map()).set(p.n, p);
  }

  get(n: number): A | undefined {
    return this.exported?.get(n);
  }

  all(): A[] {
    const out: A[] = [];
    for (let p = this.head; p !== null; p = p.nextAsk as A | null) out.push(p);
    return out;
  }
}
