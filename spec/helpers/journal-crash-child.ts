// Child process of the file-journal crash spec: appends to a file journal in a loop, several
// appends in flight, and prints one line per acknowledged (fsynced) append until it is killed.
// Usage: node --import tsx journal-crash-child.ts <dir> <first n>
// Line: `ack <stream> <versions,> <positions,> <ns,>`; `ready` once the journal is open.

import { pathToFileURL } from 'node:url';
import { createFileJournal } from '../../actors/journal/file-journal.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { wallClockMs } from '../../runtime/real-clock.ts';

/** The data the crash spec expects for event number `n` (plain JSON or superjson, varying size). */
export function crashEventData(n: number): unknown {
  const base = { n, text: `event-${n}-`.padEnd(20 + (n % 300), 'x') };
  return n % 5 === 0 ? { ...base, at: new Date(n), tags: new Set([n % 7]) } : base;
}

const MAX_APPENDS = 200_000;
const IN_FLIGHT = 16;

async function main(dir: string, first: number): Promise<void> {
  process.stdin.on('end', () => process.exit(3)); // the parent died: stop
  process.stdin.resume();
  const journal = await createFileJournal({ dir, clock: { now: wallClockMs }, ids: createIdSource(createSeededRandom(first)) });
  process.stdout.write('ready\n');
  let n = first;
  let appends = 0;
  const one = async (): Promise<void> => {
    const count = 1 + (appends % 3);
    const ns = Array.from({ length: count }, (_, i) => n + i);
    const stream = `crash-${appends++ % 4}`;
    n += count;
    const r = await journal.append(stream, ns.map((k) => ({ type: 'crash-test', data: crashEventData(k) })), { expectedVersion: 'any' });
    process.stdout.write(`ack ${stream} ${r.versions.join(',')} ${r.positions.join(',')} ${ns.join(',')}\n`);
  };
  const lane = async (): Promise<void> => { while (n < first + MAX_APPENDS) await one(); };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  await journal.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv[2], Number(process.argv[3]));
}
