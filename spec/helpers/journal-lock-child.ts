// Child process of the file-journal lock spec. Usage: node --import tsx journal-lock-child.ts <dir> <mode>
//   hold: open the journal, print `ready <pid>`, keep it open until stdin closes.
//   crash: open, append one event, print `ready <pid>`, then SIGKILL itself (no close, LOCK left behind).
//   reopen: open, print `opened <pid> <events>`, close, exit 0; on failure print `failed <code>` and exit 2.

import { createFileJournal } from '../../actors/journal/file-journal.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createSeededRandom } from '../../runtime/random.ts';

const [dir, mode] = process.argv.slice(2);
const deps = { clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(1)), fsync: 'never' as const };

async function main(): Promise<void> {
  if (mode === 'hold') {
    const j = await createFileJournal({ ...deps, dir });
    process.stdout.write(`ready ${process.pid}\n`);
    process.stdin.on('end', () => { void j.close().then(() => process.exit(0)); });
    process.stdin.resume();
    return;
  }
  if (mode === 'crash') {
    const j = await createFileJournal({ ...deps, dir });
    await j.append('lock-test', [{ type: 't', data: 1 }], { expectedVersion: 'any' });
    process.stdout.write(`ready ${process.pid}\n`, () => process.kill(process.pid, 'SIGKILL'));
    return;
  }
  try {
    const j = await createFileJournal({ ...deps, dir });
    process.stdout.write(`opened ${process.pid} ${(await j.readAll()).length}\n`);
    await j.close();
  } catch (e) {
    process.stdout.write(`failed ${isTroupeError(e) ? e.code : String(e)}\n`);
    process.exit(2);
  }
}

void main();
