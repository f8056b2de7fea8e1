import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fitToOpenFiles,
  OpenFilesLimitError,
  readOpenFilesLimit,
} from '../../services/gateway/src/transport/open-files.js';

const limits = (soft: string, hard: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \n` +
  `Max processes             63459                63459                processes \n` +
  `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \n`;

test('the soft open-files limit is read from /proc/self/limits; unlimited or absent is unknown', () => {
  assert.equal(readOpenFilesLimit(limits('1024', '524288')), 1024);
  assert.equal(readOpenFilesLimit(limits('unlimited', 'unlimited')), undefined);
  assert.equal(readOpenFilesLimit(''), undefined);
  assert.equal(typeof readOpenFilesLimit(), 'number', 'this Linux process has a limit');
});

test('a connection limit that fits beside the reserve is kept; one that does not is lowered, with how to fix it', () => {
  assert.deepEqual(fitToOpenFiles(19_000, 1_048_576, 128), { maxConnections: 19_000 });
  assert.deepEqual(fitToOpenFiles(19_000, undefined, 128), { maxConnections: 19_000 });
  const lowered = fitToOpenFiles(19_000, 1024, 128);
  assert.equal(lowered.maxConnections, 896);
  assert.match(
    lowered.lowered ?? '',
    /GATEWAY_MAX_CONNECTIONS=19000 does not fit the open-files limit \(1024\)/,
  );
  assert.match(lowered.lowered ?? '', /ulimit -n/);
});

test('an open-files limit that leaves nothing beside the reserve refuses to start', () => {
  assert.throws(() => fitToOpenFiles(100, 128, 128), OpenFilesLimitError);
  assert.throws(
    () => fitToOpenFiles(100, 64, 128),
    /leaves no descriptor for clients after GATEWAY_FD_RESERVE \(128\)/,
  );
});
