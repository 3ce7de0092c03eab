// Logging options of a system: level, destination (stdout, stderr, a file, a pino transport, a
// stream, or a function that receives each record), and the shape of a log record.

import type { DestinationStream, Logger, TransportMultiOptions, TransportPipelineOptions, TransportSingleOptions } from 'pino';
import { TroupeError } from '../errors.ts';

/** pino's levels, most severe first; `'silent'` logs nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Where JSON lines go: `'stdout'` (default), `'stderr'`, `{ file }` (appended, directories
 * created), `{ transport }` (any pino transport: pino-pretty, pino-loki, OTLP, several targets —
 * it runs in a worker thread), any pino destination stream, or a function that gets each record
 * as an object (for tests: push them into an array and assert).
 */
export type LogDestination =
  | 'stdout'
  | 'stderr'
  | { readonly file: string }
  | { readonly transport: TransportSingleOptions | TransportMultiOptions | TransportPipelineOptions }
  | DestinationStream
  | ((record: LogLine) => void);

/**
 * Options of a system's logger. Defaults: `level` `'info'` (`'silent'` on test systems and
 * simulated clusters), `destination` `'stdout'`. Instead of options, `log` may be an existing
 * pino logger: the system logs through a child of it.
 */
export interface LogOptions {
  readonly level?: LogLevel;
  readonly destination?: LogDestination;
}

/**
 * One log line as an object. `level` is pino's number (10 trace, 20 debug, 30 info, 40 warn,
 * 50 error, 60 fatal); `time` is epoch milliseconds on the real clock and virtual milliseconds
 * on a virtual one. `actor`/`actor_class` are set for lines about or from an actor; `traceId`/
 * `spanId` when the message being handled carries a trace; `correlationId`/`causationId` when it
 * carries them (a bus delivery's headers, a journal event's metadata, or fields of that name).
 */
export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly system: string;
  readonly node: string;
  readonly actor?: string;
  readonly actor_class?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly [field: string]: unknown;
}

/** pino's level numbers by name. */
export const LOG_LEVEL_VALUES: Readonly<Record<Exclude<LogLevel, 'silent'>, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** True for a pino logger (something with `child` and a `level`), as opposed to {@link LogOptions}. */
export function isLogger(x: unknown): x is Logger {
  return typeof x === 'object' && x !== null && typeof (x as Logger).child === 'function' && typeof (x as Logger).level === 'string';
}

/** Checks logging options; throws `invalid-argument` with the fix. */
export function checkLogOptions(o: LogOptions, where: string): void {
  if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-argument', `${where}: log must be { level?, destination? } or a pino logger.`, { field: 'log' });
  if (o.level !== undefined && !LEVELS.includes(o.level)) {
    throw new TroupeError('invalid-argument', `${where}: log level "${String(o.level)}" is not one of ${LEVELS.join(', ')}.`, { field: 'log.level' });
  }
  const d = o.destination as unknown;
  const ok = d === undefined || d === 'stdout' || d === 'stderr' || typeof d === 'function'
    || (typeof d === 'object' && d !== null && (typeof (d as { file?: unknown }).file === 'string' || typeof (d as { transport?: unknown }).transport === 'object' || typeof (d as DestinationStream).write === 'function'));
  if (!ok) {
    throw new TroupeError('invalid-argument', `${where}: log destination must be 'stdout', 'stderr', { file }, { transport }, a stream with write(), or a function (record) => void.`, { field: 'log.destination' });
  }
}
