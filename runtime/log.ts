// The log sink of a node: one call per event worth a human's attention (misconfiguration, links
// that fail, a system that terminated). Minimal on purpose, and replaceable by any logger.

/** How serious a log entry is. */
export type LogLevel = 'error' | 'warn';

/** One log entry: a level, a one-line message that says what to fix, and structured facts. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly msg: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Where a node writes its log entries; see {@link createStderrLog} for the default. */
export type LogSink = (entry: LogEntry) => void;

/**
 * The default sink: each entry as one line on stderr, `troupe <level> [<label>] <msg> <data as JSON>`.
 * @example
 * const node = await createNode({ ...options, log: createStderrLog('shop@n1') });
 */
export function createStderrLog(label: string): LogSink {
  return (e) => {
    let data: string;
    try { data = JSON.stringify(e.data, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)); } catch { data = '{}'; }
    process.stderr.write(`troupe ${e.level} [${label}] ${e.msg.replace(/\s*\n\s*/g, ' ')} ${data}\n`);
  };
}

/** A sink that drops everything (for tests that assert on their own sink, or silence on purpose). */
export const silentLog: LogSink = () => {};
