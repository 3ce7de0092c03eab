// A full disk under the embedded file backend: publishes are refused with storage-full and store
// nothing, nothing acknowledged is lost, and publishing goes on once there is room again. Runs
// on a small tmpfs mounted for the test (root only; otherwise the suite says it is skipped).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createEventBus, createFileLogBackend } from '../../../actors/streams/index.ts';
import { suite } from '../../helpers/uvu.ts';

const test = suite('file stream log on a full disk', undefined, { limitMs: 60_000 });

function mountSmallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`  [skip] file stream log on a full disk: cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]}); run as root.`);
    return undefined;
  }
}

const disk = mountSmallDisk();
if (disk !== undefined) {
  test('publish is refused with storage-full and stores nothing; acknowledged events survive; it goes on after space is freed', async () => {
    const kit = createTestSystem({ seed: 5, escapes: 'allow' }); // a real full disk on purpose
    const filler = join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(400 * 1024));
    mkdirSync(join(disk, 'log'));
    const backend = await createFileLogBackend({ dir: join(disk, 'log'), name: 'n1', clock: kit.clock, ids: kit.ids, journalOptions: { segmentBytes: 64 * 1024, log: () => undefined } });
    const bus = createEventBus(kit, { backend });
    try {
    const t = bus.topic<{ n: number; pad: string }>('fill');
    const acked: number[] = [];
    let refused: unknown;
    for (let n = 1; n <= 2_000 && refused === undefined; n++) {
      try { await t.publish({ n, pad: 'x'.repeat(2_000) }); acked.push(n); } catch (e) { refused = e; }
    }
    assert.ok(refused !== undefined, 'the disk filled up');
    assert.ok(isTroupeError(refused, 'storage-full'), `storage-full, got ${String(refused)}`);
    assert.match((refused as Error).message, /Free space/);
    // Still full: refused again, nothing stored.
    try { await t.publish({ n: -1, pad: 'x'.repeat(2_000) }); assert.unreachable('the disk is still full'); } catch (e) { assert.ok(isTroupeError(e, 'storage-full') || isTroupeError(e, 'journal-closed'), String(e)); }
    rmSync(filler);
    const after = await t.publish({ n: 9_999, pad: '' });
    assert.ok(after.offset >= 1);
    const seen: number[] = [];
    t.subscribe((e) => { seen.push(e.data.n); }, { id: 'audit', maxBuffered: 5_000 });
    // Virtual time for the consumer's timers, real time for the file reads.
    for (let i = 0; i < 2_000 && seen.length < acked.length + 1; i++) { await kit.advance(50); await new Promise((r) => setTimeout(r, 5)); }
    assert.equal(seen, [...acked, 9_999], 'every acknowledged event, once, in order; no refused one');
    } finally {
      await bus.close();
      await kit.terminate();
      await backend.close().catch(() => undefined);
    }
  });

  test.after(() => {
    try { execFileSync('umount', ['-l', disk], { stdio: 'pipe' }); } catch { /* already gone */ }
    try { rmSync(disk, { recursive: true, force: true }); } catch { /* a lazy unmount may still hold it */ }
  });
}

test.run();
