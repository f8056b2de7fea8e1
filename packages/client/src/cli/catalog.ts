/**
 * `blockcast catalog`: what discovery says about the streams — where they are, their
 * parameters, the event types, and where the history stands (epoch, head, oldest).
 */
import { historyBoundsOf, readCatalog, readStreamsRoot } from '../api-root.js';
import { CommandFailure, ExitCode } from './exit-codes.js';
import type { Command } from './main.js';
import { reportFormat, table } from './report-format.js';

interface CatalogStream {
  name: string;
  url: string;
  parameters: Record<string, unknown>;
}

interface CatalogEventType {
  name: string;
  bit: number;
  source: string;
  description: string;
  schema?: unknown;
}

export const catalogCommand: Command = {
  name: 'catalog',
  summary: "the streams, their parameters, the event types, and the history's epoch, head and oldest",
  usage: 'catalog [options]',
  help: `
Reads discovery's API root (where the streams are) and its catalog GET /api/v1/streams.

options:
  --api-root URL    discovery's API root (default $BLOCKCAST_API_ROOT or http://localhost:9984/api/v1/)
  -o, --format F    pretty (the default on a terminal) or json (the default when piped): {api_root,
                    streams_root, profile, epoch, head, oldest, retention_blocks, streams, event_types}

exit codes: 0 done, 1 usage, 2 the API root or the catalog cannot be read

examples:
  blockcast catalog
  blockcast catalog -o json | jq -r .epoch
  blockcast tail valid_blocks --since 0 --epoch "$(blockcast catalog -o json | jq -r .epoch)"
`,
  options: {
    'api-root': { type: 'string' },
    format: { type: 'string', short: 'o' },
  },
  async run({ flags }, defaults) {
    const format = reportFormat(flags.get('format'), defaults.tty);
    const apiRoot = flags.get('api-root') ?? defaults.apiRoot;
    const fetchJson = (url: string, init?: RequestInit) => fetch(url, init);
    let streamsRoot: string;
    let catalog: Record<string, unknown>;
    try {
      [streamsRoot, catalog] = await Promise.all([
        readStreamsRoot(fetchJson, apiRoot),
        readCatalog(fetchJson, apiRoot),
      ]);
    } catch (error) {
      throw new CommandFailure(
        ExitCode.CANNOT_CONNECT,
        `cannot read the catalog of ${apiRoot}: ${(error as Error).message} (is it running? --api-root names another)`,
      );
    }
    const bounds = historyBoundsOf(catalog);
    const streams = (catalog.streams ?? []) as CatalogStream[];
    const eventTypes = (catalog.event_types ?? []) as CatalogEventType[];
    const summary = {
      api_root: apiRoot,
      streams_root: streamsRoot,
      profile: catalog.profile,
      epoch: bounds.epoch,
      head: bounds.head,
      oldest: bounds.oldest,
      retention_blocks: catalog.retention_blocks,
      streams: streams.map((stream) => ({
        name: stream.name,
        url: stream.url,
        parameters: Object.keys(stream.parameters),
      })),
      event_types: eventTypes.map(({ name, bit, source, description, schema }) => ({
        name,
        bit,
        source,
        description,
        ...(schema === undefined ? {} : { schema }),
      })),
    };
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return ExitCode.DONE;
    }
    const text = (value: unknown) => (value === null || value === undefined ? '—' : String(value));
    process.stdout.write(
      `${[
        table(
          [
            ['API root', apiRoot],
            ['streams', streamsRoot],
            ['profile', text(summary.profile)],
            ['epoch', bounds.epoch ?? '— (the stream is empty)'],
            ['head', text(bounds.head)],
            ['oldest', text(bounds.oldest)],
            ['retention', `${text(summary.retention_blocks)} blocks`],
          ],
          '',
        ),
        '',
        'streams (parameters)',
        table(summary.streams.map((stream) => [stream.name, stream.parameters.join(' ')])),
        '',
        'event types (bit, source)',
        table(
          summary.event_types.map((type) => [type.name, String(type.bit), type.source, type.description]),
        ),
      ].join('\n')}\n`,
    );
    return ExitCode.DONE;
  },
};
