// The TypeScript examples of a Markdown document, gathered into one module per `##` section and
// type-checked in-process with the compiler API, every diagnostic mapped back to its line.

import ts from 'typescript';
import { dirname, join } from 'node:path';

/**
 * One module to check: the ```ts blocks and `<!-- ts-preamble … -->` comments of one `##`
 * section, in document order. `lines[i]` came from document line `from[i]` (1-based).
 */
export interface SectionModule {
  readonly title: string;
  /** Document line where the module starts: its first block or preamble. */
  readonly line: number;
  readonly lines: readonly string[];
  readonly from: readonly number[];
  /** How many ```ts blocks went into it. */
  readonly blocks: number;
}

/** What {@link extractModules} found: the modules, and the blocks marked `nocheck` (their lines). */
export interface Extracted {
  readonly modules: readonly SectionModule[];
  readonly nocheck: readonly number[];
}

/** A problem found in the document, at a document line (0 when not tied to one). */
export interface BlockDiagnostic {
  readonly line: number;
  readonly section: string;
  readonly text: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript']);

/**
 * Splits `markdown` into section modules. Rules: a fence whose language is `ts` (or
 * `typescript`) is checked unless its info string says `nocheck`; its section is the nearest `##`
 * heading above it (`###` and deeper do not split); a `<!-- ts-preamble` comment adds hidden
 * code at its place (the lines after its opening line, up to `-->`). Fences hide headings.
 */
export function extractModules(markdown: string): Extracted {
  const src = markdown.split(/\r?\n/);
  const modules: { title: string; line: number; lines: string[]; from: number[]; blocks: number }[] = [];
  const nocheck: number[] = [];
  let title = '(before the first section)';
  let current: (typeof modules)[number] | undefined;
  const target = (line: number) => {
    if (current === undefined) { current = { title, line, lines: [], from: [], blocks: 0 }; modules.push(current); }
    return current;
  };
  for (let i = 0; i < src.length; i++) {
    const text = src[i];
    const fence = FENCE.exec(text);
    if (fence) {
      const [, marks, lang, info] = fence;
      const close = new RegExp(`^ {0,3}${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`);
      let end = i + 1;
      while (end < src.length && !close.test(src[end])) end++;
      if (TS_LANGS.has(lang.toLowerCase())) {
        if (/\bnocheck\b/.test(info)) {
          nocheck.push(i + 1);
        } else {
          const m = target(i + 1);
          m.blocks++;
          for (let j = i + 1; j < end; j++) { m.lines.push(src[j]); m.from.push(j + 1); }
        }
      }
      i = end;
      continue;
    }
    const heading = /^##\s+(.*)$/.exec(text);
    if (heading) { title = heading[1].trim(); current = undefined; continue; }
    if (/^\s*<!--\s*ts-preamble\b/.test(text)) {
      // The rest of the opening line is a description; the code is on the lines after it, up to `-->`.
      if (text.includes('-->')) throw new Error(`The ts-preamble comment at line ${i + 1} holds no code: put the code on the lines after <!-- ts-preamble, then -->.`);
      const m = target(i + 1);
      let j = i + 1;
      for (; j < src.length && !src[j].includes('-->'); j++) { m.lines.push(src[j]); m.from.push(j + 1); }
      if (j === src.length) throw new Error(`The ts-preamble comment opened at line ${i + 1} is never closed with -->.`);
      const tail = src[j].slice(0, src[j].indexOf('-->'));
      if (tail.trim() !== '') { m.lines.push(tail); m.from.push(j + 1); }
      i = j;
    }
  }
  return { modules: modules.filter((m) => m.blocks > 0), nocheck };
}

/** Type-checks section modules against a project; reuses the previous program between calls. */
export interface BlockChecker {
  check(modules: readonly SectionModule[]): BlockDiagnostic[];
}

/**
 * A checker for modules placed in `root` (the package directory, so they import the package by
 * its own name through `exports`), with the compiler options of `root/tsconfig.json`.
 */
export function createBlockChecker(root: string): BlockChecker {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const converted = ts.convertCompilerOptionsFromJson(read.config.compilerOptions, dirname(configPath));
  if (converted.errors.length > 0) throw new Error(converted.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  const options = converted.options;
  const base = ts.createCompilerHost(options, true);
  let virtual = new Map<string, string>();
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (f) => virtual.has(f) || base.fileExists(f),
    readFile: (f) => virtual.get(f) ?? base.readFile(f),
    getSourceFile: (f, lang, onError, fresh) => {
      const text = virtual.get(f);
      return text !== undefined ? ts.createSourceFile(f, text, lang, true) : base.getSourceFile(f, lang, onError, fresh);
    },
  };
  let previous: ts.Program | undefined;

  return {
    check(modules) {
      virtual = new Map();
      const byFile = new Map<string, SectionModule>();
      modules.forEach((m, k) => {
        // In the package's directory; .mts keeps each an ES module whatever it contains.
        const file = join(root, `README.section-${k + 1}-line-${m.line}.mts`).replaceAll('\\', '/');
        virtual.set(file, `${m.lines.join('\n')}\nexport {};\n`);
        byFile.set(file, m);
      });
      const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host, oldProgram: previous });
      previous = program;
      const out: BlockDiagnostic[] = program.getOptionsDiagnostics().map((d) => ({ line: 0, section: '(compiler options)', text: describe(d) }));
      for (const [file, m] of byFile) {
        const sf = program.getSourceFile(file);
        if (sf === undefined) throw new Error(`The compiler did not load ${file}.`);
        for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
          const at = d.start === undefined ? undefined : sf.getLineAndCharacterOfPosition(d.start);
          out.push({ line: at === undefined ? 0 : (m.from[at.line] ?? 0), section: m.title, text: `${at === undefined ? '' : `col ${at.character + 1}: `}${describe(d)}` });
        }
      }
      return out.sort((a, b) => a.line - b.line);
    },
  };
}

function describe(d: ts.Diagnostic): string {
  return `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`;
}
