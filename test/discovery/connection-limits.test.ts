import { httpAbuseSuite } from '../support/http-abuse-suite.js';
import { discoveryApp } from './support.js';

httpAbuseSuite('discovery', {
  prefix: 'DISCOVERY',
  start: async (t, env) => {
    const app = discoveryApp(t, env as Record<string, string>);
    const { url } = await app.start();
    return {
      port: Number(new URL(url).port),
      validRequest: async () => (await fetch(`${url}/api/v1/`)).status,
    };
  },
  rawRequest: 'GET /api/v1/ HTTP/1.1\r\nHost: discovery\r\n\r\n',
  // Discovery serves only GETs; a trickled body is still a request that never completes.
  slowBody: {
    head: 'POST /api/v1/ HTTP/1.1\r\nHost: discovery\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n',
    body: JSON.stringify({ padding: 'x'.repeat(280) }),
  },
});
