import { type EmittedEventTypeName, EVENT_CATALOG, isEmittedEventType } from '@blockcast/protocol';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { invalidEvent, notAnEmittedType, unknownEventType } from './errors.js';
import { toPointer } from './json-depth.js';

/** A content violation, as the refusal names it: where (JSON pointer into the body) and which rule. */
export interface ContentViolation {
  field: string;
  rule: string;
  message: string;
}

/**
 * The catalog's content schemas, compiled once at start-up (a schema that does not compile stops
 * the service there, not at the first emit). Validates exactly what was sent: no coercion, no
 * defaults, no stripping.
 */
export class EventSchemas {
  /** The emitted types, in catalog order: what refusals list. */
  readonly types: readonly EmittedEventTypeName[];
  readonly #validators = new Map<EmittedEventTypeName, ValidateFunction>();

  constructor() {
    const ajv = new Ajv2020({ strict: true, allErrors: false, coerceTypes: false, useDefaults: false });
    const types: EmittedEventTypeName[] = [];
    for (const [name, entry] of Object.entries(EVENT_CATALOG)) {
      if (!isEmittedEventType(name) || !('schema' in entry)) continue;
      types.push(name);
      this.#validators.set(name, ajv.compile(entry.schema));
    }
    this.types = types;
  }

  /** The type named in the URL, or the refusal: unknown (404) or block-derived (400). */
  emittedType(name: string): EmittedEventTypeName {
    if (isEmittedEventType(name)) return name;
    if (Object.hasOwn(EVENT_CATALOG, name)) throw notAnEmittedType(name, this.types);
    throw unknownEventType(name, this.types);
  }

  /** Throws INVALID_EVENT naming the first violation of `type`'s schema in `content`. */
  assertContent(type: EmittedEventTypeName, content: unknown): void {
    const validate = this.#validators.get(type)!;
    if (validate(content)) return;
    const violation = describe(validate.errors?.[0]);
    throw invalidEvent(
      `body${violation.field} ${violation.message} (rule "${violation.rule}"): send content matching the ${type} schema of the event catalog; nothing was written`,
      violation.field,
      violation.rule,
    );
  }
}

function describe(error: ErrorObject | undefined): ContentViolation {
  if (error === undefined) return { field: '/content', rule: 'schema', message: 'does not match the schema' };
  const { missingProperty, additionalProperty } = error.params as Record<string, string | undefined>;
  const below = missingProperty ?? additionalProperty;
  const field = `/content${error.instancePath}${below === undefined ? '' : toPointer([below])}`;
  if (additionalProperty !== undefined) {
    return { field, rule: error.keyword, message: 'is not a field of this event type' };
  }
  if (missingProperty !== undefined) return { field, rule: error.keyword, message: 'is required' };
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const message =
    allowed === undefined
      ? (error.message ?? 'is invalid')
      : `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
  return { field, rule: error.keyword, message };
}
