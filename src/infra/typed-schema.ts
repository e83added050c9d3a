/**
 * Joi object schemas that carry the TypeScript type of what they validate to, checked against it
 * as they are built: each key of the type has a schema and no other key has one; a field the type
 * always has is declared `required()` or `withDefault()`, and an optional one is neither; and each
 * schema is of the field's kind (`Joi.number()` for a number, `Joi.string<T>()` for a union of
 * string literals, an alternatives schema for `string | number`). What the compiler cannot see —
 * `.required()` or `.default()` chained onto a field the type calls optional — `typedObject()`
 * refuses when the module loads.
 */
import Joi from 'joi';

/** A field the validated value always has: refused when absent, or given its default. */
export interface PresentField<S extends Joi.AnySchema, V> {
  readonly schema: S;
  readonly whenAbsent: 'refuse' | 'default';
  readonly fallback?: V; // type-only: ties the default to the field's type
}

export function required<S extends Joi.AnySchema>(schema: S): PresentField<S, never> {
  return { schema: schema.required(), whenAbsent: 'refuse' };
}

export function withDefault<S extends Joi.AnySchema, V extends string | number | boolean>(
  schema: S,
  value: V,
): PresentField<S, V> {
  return { schema: schema.default(value), whenAbsent: 'default' };
}

/** The joi schema kind that validates to a `V`. */
type SchemaKind<V> = [V] extends [string]
  ? Joi.StringSchema<V>
  : [V] extends [number]
    ? Joi.NumberSchema<V>
    : [V] extends [boolean]
      ? Joi.BooleanSchema<V>
      : [V] extends [object | null]
        ? Joi.ObjectSchema<V> | Joi.AlternativesSchema
        : Joi.AlternativesSchema; // a union of kinds, such as string | number

/** What each field of `T` must be declared with. */
export type FieldsOf<T> = {
  [K in keyof T]-?: object extends Pick<T, K>
    ? SchemaKind<Exclude<T[K], undefined>>
    : PresentField<SchemaKind<T[K]>, T[K]>;
};

declare const VALIDATES_TO: unique symbol;

/** An object schema whose validated value is a `T` (built by typedObject or typedCustom only). */
export type TypedSchema<T> = Joi.ObjectSchema<T> & { readonly [VALIDATES_TO]: T };

/** The type a typed schema validates to. */
export type Validated<S> = S extends TypedSchema<infer T> ? T : never;

type AnyField = Joi.AnySchema | PresentField<Joi.AnySchema, unknown>;

function isPresent(field: AnyField): field is PresentField<Joi.AnySchema, unknown> {
  return 'whenAbsent' in field;
}

/** `typedObject<LoginBody>({ code: required(text().max(128)) })`: see the file's comment. */
export function typedObject<T extends object>(fields: FieldsOf<T>): TypedSchema<T> {
  const keys: Record<string, Joi.AnySchema> = {};
  for (const [name, field] of Object.entries<AnyField>(fields)) {
    if (isPresent(field)) {
      keys[name] = field.schema;
      continue;
    }
    if (field.$_getFlag('presence') === 'required' || field.$_getFlag('default') !== undefined) {
      throw new Error(`${name}: the type says optional; declare it with required() or withDefault()`);
    }
    keys[name] = field;
  }
  // The brand is type-only: the fields above were checked against T, which is all it records.
  return Joi.object(keys) as TypedSchema<T>;
}

/**
 * A typed schema whose value is reshaped after validation (joi's `custom`), typed by what the
 * reshaping function returns.
 */
export function typedCustom<In, Out>(
  schema: Joi.ObjectSchema<In>,
  reshape: (value: In, helpers: Joi.CustomHelpers<Out>) => Out | Joi.ErrorReport,
): TypedSchema<Out> {
  // joi's typings keep a schema's value type across custom(); reshape's return type is the new one.
  return schema.custom(reshape) as unknown as TypedSchema<Out>;
}
