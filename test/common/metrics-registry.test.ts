import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BUILD_VERSION, createMetricsRegistry } from '@blockcast/common';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test('every service registry has blockcast_build_info{service,version} 1, version from the root package.json', async () => {
  assert.equal(BUILD_VERSION, version);
  for (const service of ['ingest', 'gateway', 'discovery']) {
    const text = await createMetricsRegistry(service, { defaultMetrics: false }).metrics();
    const line = text.split('\n').find((each) => each.startsWith('blockcast_build_info{'));
    assert.ok(line, `build info in ${service}'s registry`);
    assert.match(
      line,
      new RegExp(`^blockcast_build_info\\{(?=.*version="${version}")(?=.*service="${service}").*\\} 1$`),
    );
  }
});
