// Runs every numbered sample and checks that it prints exactly the output written at its end
// (text between ‹ and › in that block is an example of what varies from run to run, such as a
// duration: it matches anything on its line).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';

const dir = join(import.meta.dirname, '../../samples');
const samples = readdirSync(dir).filter((f) => /^\d\d-.*\.ts$/.test(f)).sort();

const test = suite('samples');

test('there are samples to check', () => {
  assert.ok(samples.length >= 4);
});

for (const file of samples) {
  test(`${file} prints the output it documents`, async () => {
    const text = readFileSync(join(dir, file), 'utf8');
    const block = /\/\* Output:\n([\s\S]*?)\n\*\/\s*$/.exec(text);
    assert.ok(block, `${file} must end with an /* Output: … */ block`);
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { main: (log: (l: string) => void) => Promise<void> };
    const lines: string[] = [];
    await mod.main((l) => lines.push(...l.split('\n')));
    const expected = block![1].split('\n');
    const same = lines.length === expected.length && lines.every((l, i) => lineMatches(l, expected[i]));
    if (!same) assert.fixture(lines.join('\n'), block![1]);
  });
}

/** `line` equals `documented`, where each ‹…› in `documented` stands for any text. */
function lineMatches(line: string, documented: string): boolean {
  if (!documented.includes('‹')) return line === documented;
  const parts = documented.split(/‹[^›]*›/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*?')}$`).test(line);
}

test.run();
