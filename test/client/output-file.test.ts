/**
 * `tail --output F` restarted after being killed: a partial last line is cut, lines written after
 * the saved position are replayed into it, and F without its position file is refused rather
 * than continued in an unknown history.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OutputFile } from '../../packages/client/src/cli/output-file.js';

const line = (height: number, id: string) =>
  `{"height": ${height}, "asset_id": "${id}", "transaction_id": "${id}"}`;

test('a restart cuts the partial line and resumes after the last whole line, in the saved epoch', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-output-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'frames.jsonl');
  const output = new OutputFile(path);
  output.append(line(11, 'a'));
  output.save('tail', { epoch: 'e1', since: '10', delivered: ['a'] });
  output.append(line(11, 'b')); // killed here: the line is in F, its position is not saved
  output.close();
  appendFileSync(path, '{"height": 12, "asse'); // and a half-written line
  const restarted = new OutputFile(path);
  assert.deepEqual(restarted.load(), { epoch: 'e1', since: '10', delivered: ['a', 'b'] });
  assert.equal(readFileSync(path, 'utf8'), `${line(11, 'a')}\n${line(11, 'b')}\n`, 'the partial line is cut');
  restarted.close();
});

test('F with lines but no position file is refused: its history is unknown', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-output-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'frames.jsonl');
  writeFileSync(path, `${line(11, 'a')}\n`);
  assert.throws(() => new OutputFile(path), /no .*\.position/);
});
