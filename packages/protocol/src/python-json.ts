/**
 * JSON exactly as Python's `json.dumps` writes it with default arguments — `", "` between
 * items, `": "` after keys, non-ASCII escaped as `\uXXXX` — because that is what BigchainDB and
 * Planetmint put on the wire, and clients of the original servers get the same bytes from us.
 * Covers the values frames contain: strings, integers, booleans, null, arrays, plain objects.
 */
export function pythonJson(value: unknown): string {
  if (typeof value === 'string') return pythonJsonString(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ', ' : '') + pythonJson(value[i] ?? null);
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    out += `${first ? '' : ', '}${pythonJsonString(key)}: ${pythonJson(field)}`;
    first = false;
  }
  return `${out}}`;
}

/** Printable ASCII without `"` and `\`: the characters json.dumps writes as they are. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** What json.dumps escapes beyond JSON's own escapes: DEL and everything past ASCII. */
const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u007f-\uffff]/;

/** A string as `json.dumps` writes it; ids and keys (hex, base58) need no escaping and skip the work. */
export function pythonJsonString(text: string): string {
  if (VERBATIM.test(text)) return `"${text}"`;
  const json = JSON.stringify(text);
  return HAS_NON_ASCII.test(json)
    ? json.replace(NON_ASCII, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}
