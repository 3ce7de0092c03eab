// The trace of a test run: every turn, delivery, timer firing, failure and lifecycle event, in
// order, with virtual time. Two runs with the same seed produce equal traces.

import type { Observable } from 'rxjs';
import type { Clock } from '../clock.ts';
import { messageTypeOf, type SystemEvent } from '../events.ts';
import type { Tracer } from '../internal/system-core.ts';

/** What a trace entry records. */
export type TraceKind = 'turn' | 'deliver' | 'timer' | 'spawned' | 'failed' | 'restarted' | 'stopped' | 'escalated' | 'dead-letter';

/** One step of a run. `detail` is the message type, timer key, error message or reason. */
export interface TraceEntry {
  readonly seq: number;
  readonly atMs: number;
  readonly kind: TraceKind;
  readonly actor: string;
  readonly detail?: string;
}

/** @internal Records a run into an array. */
export class TraceRecorder implements Tracer {
  readonly entries: TraceEntry[] = [];
  clock: Clock | null = null;

  turn(actor: string): void { this.add('turn', actor); }
  deliver(actor: string, msg: unknown): void { this.add('deliver', actor, messageTypeOf(msg) ?? typeof msg); }
  timer(actor: string, key: string): void { this.add('timer', actor, key); }

  follow(events$: Observable<SystemEvent>): void {
    events$.subscribe((e) => {
      switch (e.type) {
        case 'spawned': return this.add('spawned', e.path);
        case 'failed': return this.add('failed', e.path, errorText(e.error));
        case 'restarted': return this.add('restarted', e.path, errorText(e.cause));
        case 'stopped': return this.add('stopped', e.path, e.reason);
        case 'escalated': return this.add('escalated', e.path, `${e.why}:${e.child}`);
        case 'dead-letter': return this.add('dead-letter', e.recipient, `${e.reason}:${e.messageType ?? '?'}`);
        default: return;
      }
    });
  }

  private add(kind: TraceKind, actor: string, detail?: string): void {
    const entry: TraceEntry = detail === undefined
      ? { seq: this.entries.length, atMs: this.clock?.now() ?? 0, kind, actor }
      : { seq: this.entries.length, atMs: this.clock?.now() ?? 0, kind, actor, detail };
    this.entries.push(entry);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Renders a trace one entry per line (`12 @40ms deliver /user/a add`), for failure messages and diffs.
 */
export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries.map((e) => `${e.seq} @${e.atMs}ms ${e.kind} ${e.actor}${e.detail !== undefined ? ' ' + e.detail : ''}`).join('\n');
}
