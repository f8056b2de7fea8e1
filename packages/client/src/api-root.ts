/**
 * Finding the streams from the API root, as the original servers' clients do: the root
 * document's `streams` URL says where the WebSocket streams are; the catalog (`GET
 * /api/v1/streams`) says which history they are in (`epoch`) and how far it goes.
 */
export interface HistoryBounds {
  /** Null while the stream is empty. */
  epoch: string | null;
  head: number | null;
  oldest: number | null;
}

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** `http://host/api/v1` and `http://host/api/v1/` name the same root. */
export function normaliseApiRoot(apiRoot: string): string {
  return apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`;
}

async function getJson(fetchImpl: Fetch, url: string): Promise<Record<string, unknown>> {
  const response = await fetchImpl(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** The URL every stream name is appended to, e.g. `ws://host:9985/api/v1/streams/`. */
export async function readStreamsRoot(fetchImpl: Fetch, apiRoot: string): Promise<string> {
  const root = await getJson(fetchImpl, normaliseApiRoot(apiRoot));
  const links = root._links as Record<string, unknown> | undefined;
  const streams = typeof root.streams === 'string' ? root.streams : links?.streams_v1;
  if (typeof streams !== 'string') throw new Error(`the API root ${apiRoot} names no streams URL`);
  return streams.slice(0, streams.lastIndexOf('/') + 1);
}

/** The catalog document, `GET <apiRoot>streams`: streams, parameters, event types, epoch, head, oldest. */
export function readCatalog(fetchImpl: Fetch, apiRoot: string): Promise<Record<string, unknown>> {
  return getJson(fetchImpl, `${normaliseApiRoot(apiRoot)}streams`);
}

export async function readHistoryBounds(fetchImpl: Fetch, apiRoot: string): Promise<HistoryBounds> {
  return historyBoundsOf(await readCatalog(fetchImpl, apiRoot));
}

export function historyBoundsOf(catalog: Record<string, unknown>): HistoryBounds {
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    epoch: typeof catalog.epoch === 'string' ? catalog.epoch : null,
    head: number(catalog.head_height),
    oldest: number(catalog.oldest_height),
  };
}
