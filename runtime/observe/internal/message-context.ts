// Correlation and causation ids of a message, where the runtime's messages carry them today: a
// bus delivery's event headers (`correlation-id`, `causation-id`), a journal event's `meta`, or
// fields named `correlationId` / `causationId` on the message itself.

/** The ids a log line carries for the message being handled. */
export interface CorrelationIds {
  readonly correlationId?: string;
  readonly causationId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Reads the ids from `msg` (never throws; unknown shapes give none). */
export function correlationOf(msg: unknown): CorrelationIds {
  if (typeof msg !== 'object' || msg === null) return {};
  const m = msg as Record<string, unknown>;
  let correlationId = str(m.correlationId);
  let causationId = str(m.causationId);
  const meta = m.meta;
  if (typeof meta === 'object' && meta !== null) {
    correlationId ??= str((meta as Record<string, unknown>).correlationId);
    causationId ??= str((meta as Record<string, unknown>).causationId);
  }
  const event = m.type === 'bus.delivery' ? m.event : m;
  const headers = typeof event === 'object' && event !== null ? (event as { headers?: unknown }).headers : undefined;
  if (typeof headers === 'object' && headers !== null) {
    correlationId ??= str((headers as Record<string, unknown>)['correlation-id']);
    causationId ??= str((headers as Record<string, unknown>)['causation-id']);
  }
  const out: { correlationId?: string; causationId?: string } = {};
  if (correlationId !== undefined) out.correlationId = correlationId;
  if (causationId !== undefined) out.causationId = causationId;
  return out;
}
