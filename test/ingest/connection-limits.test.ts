import { makeBlock } from '@blockcast/devkit';
import { httpAbuseSuite } from '../support/http-abuse-suite.js';
import { JSON_WITH_TOKEN, redisSkip, startIngest, TOKEN } from './ingest-harness.js';

const block = JSON.stringify(makeBlock(1, 1));

httpAbuseSuite('ingest', {
  prefix: 'INGEST',
  skip: redisSkip,
  start: async (t, env) => {
    const ingest = await startIngest(t, env);
    const { url } = await ingest.app.start();
    return {
      port: Number(new URL(url).port),
      validRequest: async () =>
        (await fetch(`${url}/api/v1/blocks`, { method: 'POST', headers: JSON_WITH_TOKEN, body: block }))
          .status,
    };
  },
  rawRequest:
    'POST /api/v1/blocks HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\n' +
    `Authorization: Bearer ${TOKEN}\r\nContent-Length: ${Buffer.byteLength(block)}\r\n\r\n${block}`,
  slowBody: {
    head:
      'POST /api/v1/blocks HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${TOKEN}\r\nContent-Length: ${Buffer.byteLength(block)}\r\n\r\n`,
    body: block,
  },
});
