import { firstFieldProblem, SANDBOX_FIELD_RULES, sandboxRuleOf } from '../../src/sandbox/field-rules';
import { checkFieldValue, FIELD_TYPES } from '../../src/wechat/field-rules';

// The sandbox's field rules are a second, separate reading of WeChat's table: these tests hold
// it to WeChat's documented examples, and hold the product's checks to it, so that a value the
// product accepts but WeChat refuses shows up here instead of as a lost reminder.

const sandboxAccepts = (key: string, value: string): boolean =>
  firstFieldProblem({ [key]: { value } }) === null;
const productAccepts = (key: string, value: string): boolean => checkFieldValue(key, value) === null;

const documented = Object.entries(SANDBOX_FIELD_RULES).flatMap(([type, rule]) =>
  rule.examples.map((example) => [type, example] as const),
);

// Values at and just past the limits of WeChat's table, and values of the wrong kind.
const cases: readonly (readonly [key: string, value: string, sandbox: boolean])[] = [
  ['thing1', '提'.repeat(20), true],
  ['thing1', '提'.repeat(21), false],
  ['number2', '1'.repeat(32), true],
  ['number2', '1'.repeat(33), false],
  ['number2', '12.50', true],
  ['number2', '-1', false],
  ['number2', '12a', false],
  ['letter3', 'a'.repeat(32), true],
  ['letter3', 'abc1', false],
  ['symbol4', '#####', true],
  ['symbol4', '######', false],
  ['character_string5', 'A-1_b#', true],
  ['character_string5', '中文', false],
  ['character_string5', 'x'.repeat(33), false],
  ['time6', '15:01~16:00', true],
  ['time6', '2019年10月1日 15:01 ~ 2019年10月1日 16:00', true],
  ['time6', '2023-03-24 11:50:00', false],
  ['time6', '24:00', false],
  ['time6', '2019年10月1日', false],
  ['time6', 'tomorrow', false],
  ['date7', '2019年10月1日~2019年10月3日', true],
  ['date7', '2019年10月1日 15:01~16:00', true],
  ['date7', '15:01', false],
  ['date7', '2019年13月1日', false],
  ['amount8', '¥100.50', true],
  ['amount8', '100元', true],
  ['amount8', '¥12345678901', false],
  ['amount8', '¥$100', false],
  ['phone_number9', '1'.repeat(18), false],
  ['phone_number9', '+86 0766', false],
  ['car_number10', '粤A8Z8888挂', false],
  ['car_number10', 'A粤8Z88', false],
  ['name11', '张三', true],
  ['name11', '提'.repeat(11), false],
  ['name11', '张三1', false],
  ['name11', 'Mary Ann', true],
  ['name11', 'a'.repeat(21), false],
  ['phrase12', '配送中了吗呀', false],
  ['phrase12', 'abc', false],
  ['short_thing13', '提'.repeat(5), true],
  ['short_thing13', '提'.repeat(6), false],
  ['site01', '广州市', false],
];

describe("the sandbox's field rules", () => {
  it('cover every field type of the product', () => {
    expect(Object.keys(SANDBOX_FIELD_RULES).sort()).toEqual([...FIELD_TYPES].sort());
  });

  it.each(documented)("accept WeChat's documented %s example %j, as the product does", (type, example) => {
    expect(sandboxAccepts(`${type}1`, example)).toBe(true);
    expect(productAccepts(`${type}1`, example)).toBe(true);
  });

  it.each(cases)('read %s = %j as WeChat does (accepted: %s)', (key, value, accepted) => {
    expect(sandboxAccepts(key, value)).toBe(accepted);
  });

  it.each(cases.filter(([, , accepted]) => !accepted))(
    'are never laxer than the product: %s = %j, refused here, is refused at creation too',
    (key, value) => {
      expect(productAccepts(key, value)).toBe(false);
    },
  );

  it('name the first broken key, and say when its value is empty', () => {
    expect(firstFieldProblem({ thing1: { value: 'ok' }, time2: { value: '  ' } })).toEqual({
      key: 'time2',
      empty: true,
    });
    expect(firstFieldProblem({ thing1: { value: '提'.repeat(21) }, time2: { value: '' } })).toEqual({
      key: 'thing1',
      empty: false,
    });
    expect(firstFieldProblem({ thing1: { value: 7 } })).toEqual({ key: 'thing1', empty: false });
    expect(firstFieldProblem({ thing1: null })).toEqual({ key: 'thing1', empty: true });
  });

  it('map a key to its type by prefix and number only', () => {
    expect(sandboxRuleOf('short_thing3')).toBe(SANDBOX_FIELD_RULES.short_thing);
    expect(sandboxRuleOf('thing01')).toBe(SANDBOX_FIELD_RULES.thing);
    for (const key of ['thingy1', 'Thing1', 'time_2', 'phone1', 'constructor1', '']) {
      expect(sandboxRuleOf(key)).toBeNull();
    }
  });
});
