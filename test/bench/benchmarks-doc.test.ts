/**
 * docs/benchmarks.md and bench/README.md against bench/: every figure section names the driver
 * that produced it, every `bench/…` path the docs name exists, every results file kept is cited,
 * and bench/README.md lists every figure section. Runs no benchmark.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const BENCHMARKS = 'docs/benchmarks.md';
const BENCH_README = 'bench/README.md';
/** Documents that cite bench paths and results: every doc, the repository README and the bench map. */
const CITING_DOCS = [
  'README.md',
  BENCH_README,
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
/** Built on demand and gitignored (installers make them), so a fresh clone does not hold them. */
const BUILT = /^bench\/\.venv-[a-z]+(\/|$)/;

/** `bench/…` paths named in a text; a trailing full stop or comma is the sentence's. */
function benchPaths(text: string): string[] {
  return [...text.matchAll(/(?<![\w./-])bench\/[\w./<>*{}-]*/g)].map((match) =>
    match[0].replace(/[.,]+$/, ''),
  );
}

/** A `*` path: the files in its folder that it matches. */
function globMatches(pattern: string): string[] {
  const slash = pattern.lastIndexOf('/');
  const dir = pattern.slice(0, slash);
  const name = new RegExp(
    `^${pattern
      .slice(slash + 1)
      .replace(/[.]/g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).filter((entry) => name.test(entry));
}

/** GitHub's heading anchor: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

interface Section {
  heading: string;
  body: string;
}

/** The text under each heading up to the next heading of any level (code blocks skipped for headings). */
function sections(markdown: string): Section[] {
  const result: Section[] = [];
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = !inCode && /^#{1,6} (.*)$/.exec(line);
    if (heading) result.push({ heading: heading[1]!, body: '' });
    else if (result.length > 0) result[result.length - 1]!.body += `${line}\n`;
  }
  return result;
}

/** A figure section holds a table; its driver is a `bench/scenarios/*.bench.ts` (or `.bench.py`) it names. */
function figureSections(markdown: string): Section[] {
  return sections(markdown).filter((section) => /^\|[-:| ]+\|$/m.test(section.body));
}

test('every bench/ path the docs name exists (templates aside; * paths match a file)', () => {
  const missing: string[] = [];
  for (const doc of CITING_DOCS) {
    for (const path of benchPaths(read(doc))) {
      if (BUILT.test(path) || /[<{]/.test(path)) continue;
      const found = path.includes('*') ? globMatches(path).length > 0 : existsSync(join(ROOT, path));
      if (!found) missing.push(`${doc}: ${path}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every figure section of docs/benchmarks.md names a driver in bench/scenarios that exists', () => {
  const figures = figureSections(read(BENCHMARKS));
  assert.ok(figures.length >= 10, `only ${figures.length} figure sections found`);
  const without = figures
    .filter(
      (section) =>
        !benchPaths(section.body).some(
          (path) => /^bench\/scenarios\/[\w-]+\.bench\.(ts|py)$/.test(path) && existsSync(join(ROOT, path)),
        ),
    )
    .map((section) => section.heading);
  assert.deepEqual(without, []);
});

test('every results file is cited by name in docs/ or bench/README.md, and nothing else sits in bench/results', () => {
  const cited = new Set(
    CITING_DOCS.flatMap((doc) => benchPaths(read(doc))).filter((path) => path.startsWith('bench/results/')),
  );
  const uncited = readdirSync(join(ROOT, 'bench/results'))
    .filter((name) => statSync(join(ROOT, 'bench/results', name)).isFile())
    .filter((name) => !cited.has(`bench/results/${name}`));
  assert.deepEqual(uncited, []);
});

test('bench/README.md lists every figure section of docs/benchmarks.md, and every link to a section reaches one', () => {
  const markdown = read(BENCHMARKS);
  const readme = read(BENCH_README);
  const anchors = new Set(sections(markdown).map((section) => slug(section.heading)));
  const linked = [...readme.matchAll(/\.\.\/docs\/benchmarks\.md#([\w-]+)/g)].map((match) => match[1]!);
  assert.deepEqual(
    linked.filter((anchor) => !anchors.has(anchor)),
    [],
    'links in bench/README.md to no heading',
  );
  assert.deepEqual(
    [...markdown.matchAll(/\]\(#([\w-]+)\)/g)]
      .map((match) => match[1]!)
      .filter((anchor) => !anchors.has(anchor)),
    [],
    'links inside docs/benchmarks.md to no heading',
  );
  const listed = new Set(linked);
  assert.deepEqual(
    figureSections(markdown)
      .map((section) => slug(section.heading))
      .filter((anchor) => !listed.has(anchor)),
    [],
    'figure sections bench/README.md does not list',
  );
});

test('every bench/ path a bench source spawns or reads exists', () => {
  const missing: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
    );
  for (const file of walk('bench').filter((name) => name.endsWith('.ts'))) {
    for (const match of read(file).matchAll(/'\.?\/?(bench\/[^'$\s]+)'/g)) {
      if (!BUILT.test(match[1]!) && !existsSync(join(ROOT, match[1]!))) missing.push(`${file}: ${match[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});
