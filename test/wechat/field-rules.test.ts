import {
  charCount,
  checkFieldValue,
  checkTemplateData,
  fieldType,
  FIELD_TYPES,
} from '../../src/wechat/field-rules';

const cjk = (n: number): string => '提'.repeat(n);

describe('fieldType', () => {
  it.each([
    ['thing1', 'thing'],
    ['thing01', 'thing'],
    ['number2', 'number'],
    ['letter3', 'letter'],
    ['symbol4', 'symbol'],
    ['character_string2', 'character_string'],
    ['time5', 'time'],
    ['date6', 'date'],
    ['amount7', 'amount'],
    ['phone_number4', 'phone_number'],
    ['car_number5', 'car_number'],
    ['name8', 'name'],
    ['phrase9', 'phrase'],
    ['enum10', 'enum'],
    ['short_thing3', 'short_thing'],
    ['thing', 'thing'],
  ])('maps %s to %s', (key, type) => {
    expect(fieldType(key)).toBe(type);
  });

  it.each(['foo1', 'thingy1', 'Thing1', '', '1thing', 'time_2', 'phone1'])('returns null for %j', (key) => {
    expect(fieldType(key)).toBeNull();
  });

  it('knows all fourteen types of the WeChat table', () => {
    expect(FIELD_TYPES).toHaveLength(14);
  });
});

describe('charCount', () => {
  it('counts code points: CJK and astral characters are one each', () => {
    expect(charCount('提醒')).toBe(2);
    expect(charCount('😀a')).toBe(2);
  });
});

type Case = [key: string, value: string];

const accepted: Case[] = [
  ['thing1', cjk(20)],
  ['thing1', 'a'.repeat(20)],
  ['thing1', '明天 9 点开会 😀'],
  ['thing1', '😀'.repeat(20)],
  ['number2', '339208499'],
  ['number2', '3.1415'],
  ['number2', '9'.repeat(32)],
  ['letter3', 'abcXYZ'],
  ['letter3', 'a'.repeat(32)],
  ['symbol4', '-+#'],
  ['symbol4', '¥%&*!'],
  ['character_string2', '15760782829C347461'],
  ['character_string2', 'A-1_b/2'],
  ['character_string2', 'x'.repeat(32)],
  ['time5', '15:01'],
  ['time5', '00:00'],
  ['time5', '23:59'],
  ['time5', '2019年10月1日 15:01'],
  ['time5', '2020年03月09日 08:30'],
  ['time5', '2019-10-01 15:01'],
  ['time5', '15:01~16:30'],
  ['time5', '2019年10月1日 15:01~2019年10月1日 17:00'],
  ['time5', '2019年10月1日 15:01 ~ 17:00'],
  ['time5', '2024年2月29日 12:00'],
  ['date6', '2019年10月1日'],
  ['date6', '2019-12-25'],
  ['date6', '2019-12-25 09:42'],
  ['date6', '2019年10月1日 15:01'],
  ['date6', '2019年10月1日~2019年10月3日'],
  ['date6', '2019-12-25 09:42~10:42'],
  ['amount7', '¥100'],
  ['amount7', '￥99.50'],
  ['amount7', '$1234567890'],
  ['amount7', '100元'],
  ['amount7', '¥12.5元'],
  ['phone_number4', '+86-0766-66888866'],
  ['phone_number4', '13800138000'],
  ['car_number5', '粤A8Z888挂'],
  ['car_number5', '京AD12345'],
  ['car_number5', 'AB1234'],
  ['name8', '张三'],
  ['name8', cjk(10)],
  ['name8', '张Li'],
  ['name8', 'Niya'],
  ['name8', 'Mary-Ann O.Brien'],
  ['name8', 'a'.repeat(20)],
  ['phrase9', '配送中'],
  ['phrase9', cjk(5)],
  ['enum10', 'To be paid'],
  ['short_thing3', '已完成'],
  ['short_thing3', 'abcde'],
];

const rejected: [key: string, value: string, message: string | RegExp][] = [
  ['thing1', cjk(21), 'thing1 must be at most 20 characters (got 21)'],
  ['thing1', '', 'thing1 must not be empty'],
  ['thing1', '   ', 'thing1 must not be empty'],
  ['number2', '12a', /number2 must be a number/],
  ['number2', '-5', /number2 must be a number/],
  ['number2', '1.', /number2 must be a number/],
  ['number2', '9'.repeat(33), 'number2 must be at most 32 characters (got 33)'],
  ['letter3', 'abc1', /letter3 must contain only letters/],
  ['letter3', '提醒', /letter3 must contain only letters/],
  ['letter3', 'a'.repeat(33), 'letter3 must be at most 32 characters (got 33)'],
  ['symbol4', 'a#', /symbol4 must contain only symbols/],
  ['symbol4', '------', 'symbol4 must be at most 5 characters (got 6)'],
  ['character_string2', 'AB 12', /character_string2 must contain only digits, letters and symbols/],
  ['character_string2', '订单1', /character_string2 must contain only/],
  ['character_string2', 'x'.repeat(33), 'character_string2 must be at most 32 characters (got 33)'],
  ['time5', '3pm', /time5 must be a 24-hour time/],
  ['time5', '24:00', /time5 must be a 24-hour time/],
  ['time5', '15:60', /time5/],
  ['time5', '9:05', /time5/],
  ['time5', '15:01:30', /time5/],
  ['time5', '2023-03-24 11:50:00', /time5/],
  ['time5', '2019年10月1日', /time5/],
  ['time5', '2019年10月1日15:01', /time5/],
  ['time5', '2019年2月30日 15:01', /time5/],
  ['time5', '2023年2月29日 15:01', /time5/],
  ['time5', '2019/10/01 15:01', /time5/],
  ['time5', '15:01~16:00~17:00', /time5/],
  ['time5', '15:01~', /time5/],
  ['date6', '15:01', /date6 must be a date/],
  ['date6', '2019-13-01', /date6/],
  ['date6', '2019-1-5', /date6/],
  ['date6', '2019年10月', /date6/],
  ['date6', '2019-12-25 9:42', /date6/],
  ['date6', '2019年10月1日~15:00', /date6/],
  ['amount7', '¥', /amount7 must be an amount/],
  ['amount7', '¥$100', /amount7/],
  ['amount7', '¥12345678901', /amount7/],
  ['amount7', '100块', /amount7/],
  ['amount7', 'abc', /amount7/],
  ['phone_number4', '+86 138', /phone_number4 must contain only digits and symbols/],
  ['phone_number4', '1'.repeat(18), 'phone_number4 must be at most 17 characters (got 18)'],
  ['car_number5', '粤A8Z888挂1', 'car_number5 must be at most 8 characters (got 9)'],
  ['car_number5', '粤A粤888', /car_number5 must be a plate/],
  ['car_number5', '粤A-888', /car_number5 must be a plate/],
  ['name8', cjk(11), 'name8 must be at most 10 characters (got 11)'],
  ['name8', '张Lilililili', 'name8 must be at most 10 characters (got 11)'],
  ['name8', 'a'.repeat(21), 'name8 must be at most 20 characters (got 21)'],
  ['name8', 'R2D2', /name8 must be a name/],
  ['phrase9', '配送中2', /phrase9 must contain only Chinese characters/],
  ['phrase9', cjk(6), 'phrase9 must be at most 5 characters (got 6)'],
  ['enum10', 'x'.repeat(21), 'enum10 must be at most 20 characters (got 21)'],
  ['short_thing3', '已经完成了吗', 'short_thing3 must be at most 5 characters (got 6)'],
  ['foo1', 'x', /foo1 is not a known field type/],
];

describe('checkFieldValue', () => {
  it.each(accepted)('accepts %s = %j', (key, value) => {
    expect(checkFieldValue(key, value)).toBeNull();
  });

  it.each(rejected)('rejects %s = %j', (key, value, message) => {
    const got = checkFieldValue(key, value);
    expect(got).not.toBeNull();
    if (typeof message === 'string') expect(got).toBe(message);
    else expect(got).toMatch(message);
  });

  it('accepts exactly five characters in a short_thing', () => {
    expect(checkFieldValue('short_thing3', '已经完成了')).toBeNull();
  });

  it('covers every field type with accept and reject cases', () => {
    const typesOf = (cases: { 0: string }[]): Set<string | null> =>
      new Set(cases.map((c) => fieldType(c[0])));
    for (const type of FIELD_TYPES) {
      expect(typesOf(accepted)).toContain(type);
      expect(typesOf(rejected)).toContain(type);
    }
  });
});

describe('checkTemplateData', () => {
  it('returns nothing for valid data', () => {
    expect(checkTemplateData({ thing1: { value: '开会' }, time2: { value: '15:01' } })).toEqual([]);
  });

  it('returns every broken key with its message', () => {
    expect(
      checkTemplateData({
        thing1: { value: cjk(21) },
        time2: { value: '15:01' },
        thing3: { value: '' },
        mystery4: { value: 'x' },
      }),
    ).toEqual([
      { key: 'thing1', message: 'thing1 must be at most 20 characters (got 21)' },
      { key: 'thing3', message: 'thing3 must not be empty' },
      { key: 'mystery4', message: expect.stringContaining('mystery4 is not a known field type') },
    ]);
  });

  it('reports a non-string value (as can arrive in JSON) instead of throwing', () => {
    const data = { number1: { value: 5 } } as unknown as Record<string, { value: string }>;
    expect(checkTemplateData(data)).toEqual([
      { key: 'number1', message: 'number1 must have a string value' },
    ]);
  });
});
