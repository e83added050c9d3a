/**
 * A small JSON Schema (2020-12) checker for the keywords docs/openapi.yaml uses, so the tests can
 * hold real answers against the documented schemas without another dependency. It reports every
 * problem with the path of the value; an unsupported keyword is itself reported, so the document
 * cannot silently outgrow the checker.
 */
export type Schema = Record<string, unknown>;

const SUPPORTED = new Set([
  '$ref',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  // annotations
  'title',
  'description',
  'default',
  'example',
  'examples',
  'deprecated',
]);

export class SchemaChecker {
  constructor(private readonly document: Schema) {}

  /** Problems of `value` against `schema`; empty when it conforms. */
  check(schema: Schema, value: unknown, at = '$'): string[] {
    const problems: string[] = [];
    this.visit(schema, value, at, problems);
    return problems;
  }

  resolve(schema: Schema): Schema {
    let current = schema;
    for (let hops = 0; typeof current.$ref === 'string'; hops += 1) {
      if (hops > 20) throw new Error(`$ref loop at ${current.$ref}`);
      const ref = current.$ref;
      if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
      let target: unknown = this.document;
      for (const part of ref.slice(2).split('/')) {
        target = (target as Record<string, unknown> | undefined)?.[
          part.replace(/~1/g, '/').replace(/~0/g, '~')
        ];
      }
      if (!target || typeof target !== 'object') throw new Error(`unresolved $ref ${ref}`);
      current = target as Schema;
    }
    return current;
  }

  private visit(raw: Schema, value: unknown, at: string, problems: string[]): void {
    const schema = this.resolve(raw);
    for (const keyword of Object.keys(schema)) {
      if (!SUPPORTED.has(keyword)) problems.push(`${at}: the checker does not support "${keyword}"`);
    }
    const sub = (s: unknown, v: unknown, p: string) => this.check(s as Schema, v, p);

    for (const part of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...sub(part, value, at));
    if (schema.oneOf) {
      const matching = (schema.oneOf as Schema[]).filter((s) => sub(s, value, at).length === 0).length;
      if (matching !== 1) problems.push(`${at}: matches ${matching} of the oneOf branches, not exactly 1`);
    }
    if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => sub(s, value, at).length === 0)) {
      problems.push(`${at}: matches none of the anyOf branches`);
    }
    if (schema.not && sub(schema.not, value, at).length === 0) problems.push(`${at}: matches "not"`);

    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => isType(value, t))) {
        problems.push(`${at}: ${JSON.stringify(value)} is not of type ${types.join('|')}`);
        return;
      }
    }
    if (schema.enum && !(schema.enum as unknown[]).some((e) => e === value)) {
      problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if ('const' in schema && schema.const !== value) {
      problems.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
    }

    if (typeof value === 'string') {
      if (typeof schema.minLength === 'number' && [...value].length < schema.minLength)
        problems.push(`${at}: shorter than ${schema.minLength}`);
      if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength)
        problems.push(`${at}: longer than ${schema.maxLength}`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
        problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
      if (schema.format === 'date-time' && !isDateTime(value))
        problems.push(`${at}: ${JSON.stringify(value)} is not a date-time`);
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        problems.push(`${at}: less than ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && value > schema.maximum)
        problems.push(`${at}: more than ${schema.maximum}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        problems.push(`${at}: fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        problems.push(`${at}: more than ${schema.maxItems} items`);
      if (schema.items) value.forEach((item, i) => problems.push(...sub(schema.items, item, `${at}[${i}]`)));
    }
    if (isObject(value)) this.visitObject(schema, value, at, problems);
  }

  private visitObject(schema: Schema, value: Record<string, unknown>, at: string, problems: string[]): void {
    const keys = Object.keys(value);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in value)) problems.push(`${at}: missing required "${name}"`);
    }
    for (const [name, propertySchema] of Object.entries(properties)) {
      if (name in value) problems.push(...this.check(propertySchema, value[name], `${at}.${name}`));
    }
    if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties)
      problems.push(`${at}: fewer than ${schema.minProperties} properties`);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties)
      problems.push(`${at}: more than ${schema.maxProperties} properties`);
    if (schema.propertyNames) {
      for (const key of keys)
        problems.push(...this.check(schema.propertyNames as Schema, key, `${at}{${key}}`));
    }
    const extra = keys.filter((k) => !(k in properties));
    if (schema.additionalProperties === false && extra.length > 0) {
      problems.push(`${at}: undocumented properties ${extra.join(', ')}`);
    } else if (isObject(schema.additionalProperties)) {
      for (const k of extra)
        problems.push(...this.check(schema.additionalProperties, value[k], `${at}.${k}`));
    }
    if (schema.unevaluatedProperties === false) {
      const known = this.declared(schema, value);
      const unknown = keys.filter((k) => !known.has(k));
      if (unknown.length > 0) problems.push(`${at}: undocumented properties ${unknown.join(', ')}`);
    }
  }

  /** Property names a schema and its applicators (allOf, matching oneOf/anyOf branches) declare. */
  private declared(raw: Schema, value: unknown): Set<string> {
    const schema = this.resolve(raw);
    const names = new Set(Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}));
    const branches = [
      ...((schema.allOf as Schema[] | undefined) ?? []),
      ...[
        ...((schema.oneOf as Schema[] | undefined) ?? []),
        ...((schema.anyOf as Schema[] | undefined) ?? []),
      ].filter((s) => this.check(s, value).length === 0),
    ];
    for (const branch of branches) for (const name of this.declared(branch, value)) names.add(name);
    return names;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return typeof value === type;
  }
}

function isDateTime(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !isNaN(Date.parse(value))
  );
}
