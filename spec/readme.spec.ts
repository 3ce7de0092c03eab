// Every ```ts example of README.md type-checks, strict, with the project's tsconfig — so the docs
// cannot drift from the API. Rules (spec/helpers/readme-blocks.ts):
// - examples import from 'troupe' and 'troupe/testing', as a user would (resolved through the
//   package's own `exports`);
// - the ```ts blocks of one `##` section form one module, in order: a later block may use what an
//   earlier one defined, and a name may be declared once per section;
// - a hidden `<!-- ts-preamble … -->` comment supplies what the examples take as given (another
//   actor, a message type); keep it to declarations, and keep the visible code complete;
// - ```ts nocheck skips a block (for deliberately wrong code); at most two in the README.

import { suite } from './helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBlockChecker, extractModules, type BlockDiagnostic } from './helpers/readme-blocks.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const checker = createBlockChecker(root);

const format = (ds: readonly BlockDiagnostic[]): string =>
  ds.map((d) => `README.md:${d.line} (section "${d.section}") ${d.text}`).join('\n');

// Building the program loads the whole runtime; give it room on a loaded machine.
const test = suite('README examples', undefined, { limitMs: 120_000 });

test('every ts block of README.md type-checks', () => {
  const { modules, nocheck } = extractModules(readme);
  const blocks = modules.reduce((n, m) => n + m.blocks, 0);
  const fences = readme.split('\n').filter((l) => /^ {0,3}```\s*(ts|typescript)\b/i.test(l)).length;
  assert.is(blocks + nocheck.length, fences, 'every ts fence is either checked or marked nocheck');
  assert.ok(blocks >= 9, `found ${blocks} checked blocks`);
  assert.ok(nocheck.length <= 2, `at most two blocks may be marked nocheck; found them at lines ${nocheck.join(', ')}`);
  const problems = checker.check(modules);
  if (problems.length > 0) assert.unreachable(`README examples do not type-check:\n${format(problems)}`);
});

test('a wrong example fails with its README line, and the section rules hold', () => {
  const doc = [
    '# Doc',                                                   // 1
    '## One',                                                  // 2
    '```ts',                                                   // 3
    "import { createSystem } from 'troupe';",                  // 4
    "const system = createSystem({ name: 'x' });",             // 5
    '```',                                                     // 6
    '<!-- ts-preamble',                                        // 7
    'declare const given: number;',                            // 8
    '-->',                                                     // 9
    '```ts',                                                   // 10
    'const n: string = given + system.name.length;',           // 11: number is not a string
    '```',                                                     // 12
    '```ts nocheck',                                           // 13
    'this is not TypeScript',                                  // 14
    '```',                                                     // 15
    '## Two',                                                  // 16
    '```ts',                                                   // 17
    'const n = system;',                                       // 18: system belongs to section One
    "import { createTestSystem } from 'troupe/testing';",      // 19
    'const kit = createTestSystem({ seed: 1 }); kit.nope();',  // 20: no such method
    '```',                                                     // 21
  ].join('\n');
  const { modules, nocheck } = extractModules(doc);
  assert.equal(modules.map((m) => [m.title, m.blocks, m.line]), [['One', 2, 3], ['Two', 1, 17]]);
  assert.equal(nocheck, [13]);
  const problems = checker.check(modules);
  assert.equal(problems.map((p) => [p.line, p.section]), [[11, 'One'], [18, 'Two'], [20, 'Two']], format(problems));
  assert.ok(/TS2322/.test(problems[0].text), problems[0].text);
  assert.ok(/Cannot find name 'system'/.test(problems[1].text), problems[1].text);
  assert.ok(/nope/.test(problems[2].text), problems[2].text);
});

test.run();
