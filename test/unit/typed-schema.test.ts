/**
 * The typed schema builder: the lines marked @ts-expect-error are the checks by construction
 * (`npm run typecheck` fails if any of them compiles), the rest is what it refuses at load.
 */
import Joi from 'joi';
import { required, typedObject, withDefault, type Validated } from '../../src/infra/typed-schema';

interface Sample {
  name: string;
  count: number;
  status?: 'on' | 'off';
  note?: string;
}

const STATUSES = ['on', 'off'] as const;

describe('typedObject', () => {
  it('builds a schema whose validated value has the declared type', () => {
    const schema = typedObject<Sample>({
      name: required(Joi.string()),
      count: withDefault(Joi.number().integer(), 3),
      status: Joi.string<'on' | 'off'>().valid(...STATUSES),
      note: Joi.string(),
    });
    const { value, error } = schema.validate({ name: 'a' });
    expect(error).toBeUndefined();
    const typed: Validated<typeof schema> = value;
    expect(typed).toEqual({ name: 'a', count: 3 });
    expect(schema.validate({}).error?.details.map((d) => d.path.join('.'))).toEqual(['name']);
  });

  it('refuses at load an optional field whose schema requires it or gives it a default', () => {
    const name = required(Joi.string());
    const count = required(Joi.number());
    const status = Joi.string<'on' | 'off'>();
    expect(() => typedObject<Sample>({ name, count, status, note: Joi.string().required() })).toThrow(
      /note: the type says optional/,
    );
    expect(() => typedObject<Sample>({ name, count, status, note: Joi.string().default('x') })).toThrow(
      /note: the type says optional/,
    );
  });

  it('does not compile a schema that disagrees with its type', () => {
    const name = required(Joi.string());
    const count = required(Joi.number());
    const status = Joi.string<'on' | 'off'>();
    const note = Joi.string();
    const mismatches = [
      // @ts-expect-error a field the type always has must be required() or withDefault()
      () => typedObject<Sample>({ name: Joi.string(), count, status, note }),
      // @ts-expect-error an optional field is not required()
      () => typedObject<Sample>({ name, count, status, note: required(Joi.string()) }),
      // @ts-expect-error a number is not validated by a string schema
      () => typedObject<Sample>({ name, count: required(Joi.string()), status, note }),
      // @ts-expect-error a union of literals needs Joi.string<T>(), not any string
      () => typedObject<Sample>({ name, count, status: Joi.string().max(3), note }),
      // @ts-expect-error a default of another type
      () => typedObject<Sample>({ name, count: withDefault(Joi.number(), 'three'), status, note }),
      // @ts-expect-error every field of the type has a schema
      () => typedObject<Sample>({ name, count, status }),
      // @ts-expect-error no schema for a field the type does not have
      () => typedObject<Sample>({ name, count, status, note, extra: Joi.string() }),
    ];
    expect(mismatches).toHaveLength(7);
  });
});
