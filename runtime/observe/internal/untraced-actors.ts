// Troupe's own infrastructure actors (bus consumers and log servers, projections, receptionists)
// do their bookkeeping outside any trace: a traced message to one is handled untraced, so its
// housekeeping (polls, gossip, cursor commits) never joins a user's trace. The spans that matter
// there (a delivery, a projected event) continue the context carried by the data itself.

/** Definitions marked here; a tag on immutable definitions, the same for every system. */
const marked = new WeakSet<object>();

/** @internal Marks an actor definition as infrastructure (see above); returns it. */
export function untracedActor<D extends object>(def: D): D {
  marked.add(def);
  return def;
}

/** @internal True for a definition marked by {@link untracedActor}. */
export function isUntracedActor(def: object): boolean {
  return marked.has(def);
}
