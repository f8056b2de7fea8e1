import type { HttpResponse } from 'uWebSockets.js';
import type { UpgradeError } from '@blockcast/protocol';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  410: '410 Gone',
  426: '426 Upgrade Required',
  429: '429 Too Many Requests',
  431: '431 Request Header Fields Too Large',
  503: '503 Service Unavailable',
};

/**
 * A refused upgrade: plain HTTP, a JSON `{code, message, ...}` body, and the headers its status
 * calls for. The connection is closed after it, so a refused client holds no descriptor.
 */
export function refuse(res: HttpResponse, error: UpgradeError): void {
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[error.status] ?? String(error.status));
    if (error.status === 426)
      res.writeHeader('sec-websocket-version', '13').writeHeader('upgrade', 'websocket');
    if (error.status === 503 || error.status === 429) res.writeHeader('retry-after', '1');
    if (error.status === 401) res.writeHeader('www-authenticate', 'Bearer');
    res.writeHeader('content-type', 'application/json').end(JSON.stringify(error.toJSON()), true);
  });
}
