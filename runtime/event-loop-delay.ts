// The seam for a node's event-loop delay reading: the real monitor lives in real-clock.ts; tests
// on virtual time hand in their own reading.

/**
 * A reading of the node's event-loop delay: `delayMs()` is the p99 delay in milliseconds over
 * the recent interval (how late timers and I/O callbacks run because the loop was busy).
 */
export interface EventLoopDelaySource {
  delayMs(): number;
}

/** A real event-loop delay monitor; `close()` stops it. */
export interface EventLoopDelayMonitor extends EventLoopDelaySource {
  close(): void;
}
