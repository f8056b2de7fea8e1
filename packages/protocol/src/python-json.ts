/**
 * JSON exactly as Python's `json.dumps` writes it with default arguments — `", "` between
 * items, `": "` after keys, non-ASCII escaped as `\uXXXX` — because that is what BigchainDB and
 * Planetmint put on the wire, and clients of the original servers get the same bytes from us.
 * Covers the values frames contain: strings, integers, booleans, null, arrays, plain objects.
 */
export function pythonJson(value: unknown): string {
  if (typeof value === 'string') return asciiString(value);
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
    out += `${first ? '' : ', '}${asciiString(key)}: ${pythonJson(field)}`;
    first = false;
  }
  return `${out}}`;
}

const NON_ASCII = /[\u0080-\uffff]/g;
const HAS_NON_ASCII = /[\u0080-\uffff]/;

function asciiString(text: string): string {
  const json = JSON.stringify(text);
  return HAS_NON_ASCII.test(json)
    ? json.replace(NON_ASCII, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}
