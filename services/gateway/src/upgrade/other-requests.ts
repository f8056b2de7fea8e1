import type { TemplatedApp } from 'uWebSockets.js';
import { STREAMS_PATH, UpgradeError } from '@blockcast/protocol';
import { checkHeadSize } from './handshake.js';
import { refuse } from './http-refusal.js';

/** Every request that is not a stream's WebSocket upgrade: refused with a JSON body that says what to do. */
export function refuseOtherRequests(app: TemplatedApp): void {
  app.any(`${STREAMS_PATH}*`, (res, req) => {
    // The WebSocket route takes only requests with a Sec-WebSocket-Key; these are the others.
    const attempted = req.getHeader('upgrade') !== '' || req.getHeader('sec-websocket-version') !== '';
    refuse(
      res,
      checkHeadSize(req) ??
        (attempted
          ? new UpgradeError('BAD_HANDSHAKE', 'the opening handshake has no Sec-WebSocket-Key')
          : new UpgradeError(
              'UPGRADE_REQUIRED',
              'streams are WebSocket endpoints: open a WebSocket (version 13)',
            )),
    );
  });
  app.any('/*', (res, req) =>
    refuse(
      res,
      checkHeadSize(req) ??
        new UpgradeError('NOT_FOUND', 'streams are at /api/v1/streams/<name> (WebSocket upgrade)'),
    ),
  );
}
