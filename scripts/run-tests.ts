/**
 * `npm test`: every `*.test.ts` under test/ (or the paths given) through node's test runner
 * with tsx as the loader. Node 20's runner takes no globs, hence this file. The fault scenarios
 * (test/chaos, minutes of processes being killed) run only when named: `npm run test:chaos`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => findTests(join(path, entry)));
}

const CHAOS = join('test', 'chaos');
const roots = process.argv.slice(2);
const files =
  roots.length > 0 ? roots.flatMap(findTests) : findTests('test').filter((file) => !file.startsWith(CHAOS));
if (files.length === 0) {
  process.stderr.write('no test files found\n');
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
