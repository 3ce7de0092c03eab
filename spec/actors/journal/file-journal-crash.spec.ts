// Crash safety of the file journal: a child process appends in a loop and is SIGKILLed at a
// seeded random moment; on reopen every acknowledged event is there, in order, with its data, no
// damaged record is served, and appending works again. Real timers: this tests real process death.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal, type RecoveryEvent } from '../../../actors/journal/file-journal.ts';
import type { StoredEvent } from '../../../actors/journal/journal.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { crashEventData } from '../../helpers/journal-crash-child.ts';

const CHILD = fileURLToPath(new URL('../../helpers/journal-crash-child.ts', import.meta.url));
const ROUNDS = 5;
const SEED = 20240611;
const children = new Set<ChildProcess>();

interface Ack { stream: string; versions: number[]; positions: number[]; ns: number[] }

/** Runs the child until it has acknowledged appends for `delayMs` after opening, then SIGKILLs it. */
async function runAndKill(dir: string, first: number, delayMs: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(first)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const acks: Ack[] = [];
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => { children.delete(child); resolve(); }));
  let killTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() as string; // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        if (line === 'ready') { resolve(); continue; }
        const [tag, stream, v, p, ns] = line.split(' ');
        if (tag !== 'ack') continue;
        acks.push({ stream, versions: v.split(',').map(Number), positions: p.split(',').map(Number), ns: ns.split(',').map(Number) });
      }
    });
  });
  const safety = setTimeout(() => child.kill('SIGKILL'), 10_000); // never outlive the spec
  await Promise.race([ready, exited]);
  killTimer = setTimeout(() => process.kill(child.pid as number, 'SIGKILL'), delayMs);
  await exited;
  clearTimeout(killTimer);
  clearTimeout(safety);
  assert.is(child.signalCode, 'SIGKILL', 'the child died by SIGKILL, not on its own');
  return acks;
}

test('SIGKILL at random points never loses an acknowledged append nor serves a damaged one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-crash-'));
  const random = createSeededRandom(SEED);
  const acked = new Map<string, number>(); // "stream@version" -> n
  let total = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const acks = await runAndKill(dir, round * 1_000_000, 20 + random.int(250));
      const lastVersion = new Map<string, number>();
      for (const a of acks) {
        a.versions.forEach((v, i) => acked.set(`${a.stream}@${v}`, a.ns[i]));
        const prev = lastVersion.get(a.stream) ?? 0;
        assert.ok(a.versions[0] > prev, 'acknowledgements of one stream come in version order');
        lastVersion.set(a.stream, Math.max(prev, a.versions[a.versions.length - 1]));
      }
      total += acks.length;

      const reported: RecoveryEvent[] = [];
      const journal = await createFileJournal({ dir, clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(round)), log: () => undefined, onRecovery: (e) => reported.push(e) });
      for (const e of reported) assert.ok(e.type === 'truncated' && e.reason === 'torn-tail', `a SIGKILL leaves at most a torn tail, got ${JSON.stringify(e)}`);
      const all: StoredEvent[] = await journal.readAll(); // rejects if any record were damaged
      for (let i = 1; i < all.length; i++) assert.ok(all[i].position === all[i - 1].position + 1, 'positions have no holes');
      const byKey = new Map(all.map((e) => [`${e.stream}@${e.version}`, e]));
      for (const [key, n] of acked) {
        const e = byKey.get(key);
        assert.ok(e, `acknowledged event ${key} is missing after the crash of round ${round}`);
        assert.equal(e.data, crashEventData(n), `data of ${key}`);
      }
      for (const e of all) if (e.type === 'crash-test') assert.equal(e.data, crashEventData((e.data as { n: number }).n), 'stored data is intact');
      for (const stream of ['crash-0', 'crash-1', 'crash-2', 'crash-3']) {
        const events = await journal.readStream(stream);
        assert.equal(events.map((e) => e.version), events.map((_, i) => i + 1), `${stream} has versions 1..n in order`);
      }
      const v = await journal.streamVersion('crash-0');
      const r = await journal.append('crash-0', [{ type: 'after-crash', data: { round } }], { expectedVersion: v });
      assert.is(r.positions[0], all.length + 1);
      assert.equal((await journal.readStream('crash-0', { fromVersion: v + 1 }))[0].data, { round });
      await journal.close();
    }
    assert.ok(total > 0, 'the children acknowledged appends before being killed');
  } finally {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
