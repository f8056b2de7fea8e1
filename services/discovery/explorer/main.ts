/**
 * The explorer page: one `events` subscription of the browser SDK (blocks with their
 * transactions and operations, and generic events), filtered by the form, resumed from its last
 * position and epoch when the filter changes; its state, resume point and the catalog shown.
 * Everything comes from the node that served the page: the API root is this origin, the streams
 * URL the one its root document names.
 */
import {
  BlockcastClient,
  type EventsFrame,
  MemoryPositionStore,
  type Signal,
  type StateChange,
  type StreamEvent,
  type StreamParams,
  type Subscription,
} from '@blockcast/client/browser';

const API_ROOT = new URL('/api/v1/', location.origin).href;
const KEY = 'explorer';
/** Rows kept per table: the page is a window on the stream, not an archive. */
const MAX_ROWS = 2000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  status: element('status'),
  state: element('state'),
  resume: element('resume'),
  restart: element<HTMLButtonElement>('restart'),
  form: element<HTMLFormElement>('filters'),
  types: element('types'),
  blocks: element<HTMLTableSectionElement>('blocks'),
  transactions: element<HTMLTableSectionElement>('transactions'),
  events: element<HTMLTableSectionElement>('events'),
  history: element('history'),
  streams: element('streams'),
};

function cell(row: HTMLTableRowElement, text: string, scope?: 'row'): HTMLTableCellElement {
  const td = document.createElement(scope === undefined ? 'td' : 'th');
  if (scope !== undefined) td.scope = scope;
  td.textContent = text;
  row.append(td);
  return td;
}

/** Newest first, at most MAX_ROWS. */
function prepend(body: HTMLTableSectionElement, row: HTMLTableRowElement): void {
  body.prepend(row);
  while (body.rows.length > MAX_ROWS) body.lastElementChild?.remove();
}

function blockLink(height: number): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = `#block-${height}`;
  link.textContent = String(height);
  return link;
}

function render(event: StreamEvent<'events'>): void {
  const frame: EventsFrame = event.frame;
  if (frame.type === 'BLOCK_VALID' || frame.type === 'BLOCK_INVALID') {
    const id = `block-${frame.height}`;
    let block = document.getElementById(id) as HTMLTableRowElement | null;
    if (block === null) {
      block = document.createElement('tr');
      block.id = id;
      block.tabIndex = -1; // a link's target takes focus, for keyboard and screen reader users
      cell(block, String(frame.height), 'row');
      cell(block, 'hash' in frame ? (frame.hash ?? '') : '');
      cell(block, '0');
      prepend(ui.blocks, block);
    }
    const count = block.cells[2]!;
    count.textContent = String(Number(count.textContent) + frame.transactions.length);
    for (const transaction of frame.transactions) {
      const row = document.createElement('tr');
      row.dataset.transactionId = transaction.transaction_id;
      row.dataset.height = String(frame.height);
      row.dataset.operation = 'operation' in transaction ? transaction.operation : 'invalid';
      cell(row, '').append(blockLink(frame.height));
      cell(row, transaction.transaction_id);
      if ('operation' in transaction) {
        cell(row, transaction.operation);
        cell(row, transaction.asset_ids.join(' '));
      } else {
        cell(row, 'invalid');
        cell(row, `${transaction.code}: ${transaction.reason}`);
      }
      prepend(ui.transactions, row);
    }
    return;
  }
  const row = document.createElement('tr');
  cell(row, `${frame.height}-${frame.seq}`);
  cell(row, frame.type);
  cell(row, JSON.stringify(frame.content));
  prepend(ui.events, row);
}

type Shown = 'connecting' | 'live' | 'catching-up' | 'reconnecting' | 'ended';

function show(state: Shown, text: string): void {
  ui.status.dataset.state = state;
  ui.state.textContent = text;
}

function showPoint(subscription: Subscription<'events'>): void {
  const point = subscription.point;
  ui.resume.textContent =
    point === undefined ? '' : `since=${point.since ?? '–'} epoch=${point.epoch ?? '–'}`;
}

interface Catalog {
  epoch?: string | null;
  head_height?: number | null;
  oldest_height?: number | null;
  event_types?: { name: string }[];
  streams?: { name: string; parameters: Record<string, { values?: string[] }> }[];
}

async function readCatalog(): Promise<Catalog> {
  const response = await fetch(`${API_ROOT}streams`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${API_ROOT}streams answered ${response.status}`);
  return (await response.json()) as Catalog;
}

function showCatalog(catalog: Catalog): void {
  ui.history.replaceChildren();
  for (const [name, value] of [
    ['Epoch', catalog.epoch],
    ['Head height', catalog.head_height],
    ['Oldest height', catalog.oldest_height],
  ] as const) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value === null || value === undefined ? '–' : String(value);
    ui.history.append(dt, dd);
  }
  ui.streams.replaceChildren();
  for (const stream of catalog.streams ?? []) {
    const row = document.createElement('tr');
    cell(row, stream.name, 'row');
    cell(row, Object.keys(stream.parameters).join(', '));
    ui.streams.append(row);
  }
}

/** The form's choices from the catalog: the operations a filter takes and the event types. */
function fillForm(catalog: Catalog): void {
  const operation = ui.form.elements.namedItem('operation') as HTMLSelectElement;
  const events = catalog.streams?.find((stream) => stream.name === 'events');
  for (const value of events?.parameters.operation?.values ?? []) operation.add(new Option(value, value));
  for (const { name } of catalog.event_types ?? []) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'types';
    box.value = name;
    label.append(box, name);
    ui.types.append(label);
  }
}

function paramsOfForm(): StreamParams {
  const data = new FormData(ui.form);
  const params: StreamParams = {};
  for (const name of ['public_key', 'asset_id', 'operation']) {
    const value = String(data.get(name) ?? '').trim();
    if (value !== '') params[name] = value;
  }
  const types = data.getAll('types').map(String);
  if (types.length > 0) params.types = types.join(',');
  return params;
}

function describeSignal(signal: Signal): string {
  switch (signal.kind) {
    case 'reset':
      return `Epoch changed: the history was reset${signal.epoch === null ? '' : ` (now epoch ${signal.epoch})`}. ${signal.message}`;
    case 'historyGone':
      return `History gone: the events after this position are no longer kept${signal.oldest === null ? '' : ` (oldest height ${signal.oldest})`}.`;
    case 'refused':
      return `Refused (${signal.status} ${signal.code}): ${signal.message}`;
  }
}

// Positions live for the page's lifetime: a re-created subscription resumes where the last one ended.
const store = new MemoryPositionStore();
const client = new BlockcastClient({
  apiRoot: API_ROOT,
  positionStore: store,
  backoff: { baseMs: 250, capMs: 5000 },
});
let subscription: Subscription<'events'>;
/** After a reconnect: the head to reach before the page is live again. */
let catchingUpTo: number | undefined;

function subscribe(params: StreamParams): void {
  const current = client.subscribe('events', {
    params,
    key: KEY,
    onEvent: (event) => {
      render(event);
      showPoint(current);
      if (catchingUpTo !== undefined && (event.position?.height ?? 0) >= catchingUpTo) {
        catchingUpTo = undefined;
        show('live', 'Live');
      }
    },
  });
  subscription = current;
  current.on('state', (change) => void onState(current, change));
  current.on('signal', (signal) => {
    show('ended', describeSignal(signal));
    ui.restart.hidden = signal.kind === 'refused';
  });
  void current.start();
}

async function onState(current: Subscription<'events'>, change: StateChange): Promise<void> {
  if (current !== subscription) return;
  showPoint(current);
  if (change.state === 'connecting') show('connecting', 'Connecting…');
  else if (change.state === 'waiting') {
    const why =
      change.code === undefined ? (change.reason ?? '') : `closed ${change.code} ${change.reason ?? ''}`;
    show('reconnecting', `Reconnecting in ${Math.round((change.delayMs ?? 0) / 100) / 10} s (${why.trim()})`);
  } else if (change.state === 'open') {
    if (change.previous === 'connecting' && !resumed) {
      resumed = true;
      show('live', 'Live');
      return;
    }
    // Resumed from a position: live once the head read now is reached.
    const catalog = await readCatalog().catch(() => undefined);
    const since = Number.parseInt(current.point?.since ?? '', 10);
    const head = catalog?.head_height ?? null;
    if (head !== null && Number.isFinite(since) && since < head) {
      catchingUpTo = head;
      show('catching-up', `Catching up from height ${since} to ${head}`);
    } else show('live', 'Live (resumed)');
  } else if (change.state === 'closed' && ui.status.dataset.state !== 'ended') show('ended', 'Closed');
}
/** Whether the page has been live once: every later open is a resume. */
let resumed = false;

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const params = paramsOfForm();
  if (subscription.state === 'closed') subscribe(params);
  else void subscription.changeParams(params);
});

// After reset or historyGone: forget the position and follow the current history from its head.
ui.restart.addEventListener('click', () => {
  ui.restart.hidden = true;
  store.clear(KEY);
  subscribe(paramsOfForm());
});

const catalog = await readCatalog().catch((error: unknown) => {
  show('ended', `The catalog could not be read: ${(error as Error).message}`);
  return undefined;
});
if (catalog !== undefined) {
  showCatalog(catalog);
  fillForm(catalog);
  setInterval(() => void readCatalog().then(showCatalog, () => {}), 5000);
}
subscribe(paramsOfForm());
