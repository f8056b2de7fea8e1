/** docs/protocol.md is the client developer's contract: it must say what the protocol tables say. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLOSE_CODES, OPERATIONS, STREAM_CATALOG, UPGRADE_ERRORS } from '@blockcast/protocol';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the table that follows `heading`, as arrays of cells with backticks removed. */
function tableAfter(heading: string): string[][] {
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `docs/protocol.md has "${heading}"`);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll('`', '')),
    );
  }
  return rows;
}

test('every close code, with its name, and no other', () => {
  const rows = tableAfter('## Close codes');
  assert.deepEqual(
    rows.map(([code, name]) => [Number(code), name]),
    Object.entries(CLOSE_CODES).map(([name, spec]) => [spec.code, name]),
  );
});

test('every upgrade refusal, with its status, and no other', () => {
  const rows = tableAfter('## Errors at upgrade');
  assert.deepEqual(
    rows.map(([status, code]) => [code, Number(status)]).sort(),
    Object.entries(UPGRADE_ERRORS)
      .map(([code, spec]) => [code, spec.status])
      .sort(),
  );
});

test('every stream, with exactly the parameters it takes', () => {
  const rows = tableAfter('## Streams');
  assert.deepEqual(
    rows.map(([stream, , parameters]) => [stream, parameters!.split(', ')]),
    STREAM_CATALOG.map((stream) => [stream.name, [...stream.parameters]]),
  );
});

test('the operations a filter accepts', () => {
  const operations = tableAfter('### Parameters').find(([name]) => name === 'operation')?.[1] ?? '';
  assert.deepEqual(operations.split(', '), [...OPERATIONS]);
});
