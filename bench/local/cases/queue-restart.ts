// Baseline: crash→restart→serve on the microtask ring mailbox, where "restart" is a catch that
// re-runs init — the least any supervised restart can cost.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { MicrotaskMailbox } from '../microtask-mailbox.ts';
import { measureRestarts } from '../restart-workload.ts';

type Msg = { type: 'crash' } | { type: 'get'; reply: (served: number) => void };

/** `size` rounds of crash, then ask; reports `restartP50Us`, `restartP99Us`, `restartsPerSec`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  const init = (): { served: number } => ({ served: 0 });
  let state = init();
  const receive = (m: Msg): void => {
    if (m.type === 'crash') throw new Error('bench crash');
    m.reply(++state.served);
  };
  const box = new MicrotaskMailbox<Msg>((m) => {
    try { receive(m); } catch { state = init(); }
  });
  return measureRestarts(size, () => {
    box.push({ type: 'crash' });
    return new Promise<number>((reply) => box.push({ type: 'get', reply }));
  });
}
