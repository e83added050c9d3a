/**
 * The sandbox's own reading of WeChat's value rules for subscribe-message fields: WeChat's table
 * (订阅消息参数值内容限制说明) with the examples it gives, written down here apart from the
 * product's checks (src/wechat/field-rules.ts) on purpose. If the sandbox used the product's code,
 * a value the product wrongly accepts would be accepted on both sides and no test could notice;
 * with two readings of the same table, a disagreement shows as a 47003 in the tests.
 *
 * This table reads WeChat's literally and refuses only what it rules out; where WeChat is vague
 * (zero-padding, the currency sign, enum values) it accepts, and the product may be stricter.
 * Lengths count code points: one CJK character is one.
 *
 * Source: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 * (docs/wechat.md#field-rules).
 */

export interface SandboxFieldRule {
  /** WeChat's wording of the limit. */
  rule: string;
  /** Values WeChat's documentation gives for this type (empty where it gives none). */
  examples: readonly string[];
  accepts: (value: string) => boolean;
}

const chars = (value: string): string[] => [...value];
const isDigit = (c: string): boolean => /^[0-9]$/.test(c);
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);
const isSymbol = (c: string): boolean => /^[\p{P}\p{S}]$/u.test(c);
const isHan = (c: string): boolean => /^\p{Script=Han}$/u.test(c);

/** At most `max` characters, each passing `allowed`. */
const only =
  (max: number, allowed: (c: string) => boolean) =>
  (value: string): boolean =>
    chars(value).length <= max && chars(value).every(allowed);

// A date as WeChat writes it (2019年10月1日, 2015年01月05日) or as 2019-12-25; a 24-hour clock 15:01.
const DATE =
  '\\d{4}(?:年(?:0?[1-9]|1[0-2])月(?:0?[1-9]|[12]\\d|3[01])日|-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\\d|3[01]))';
const CLOCK = '(?:[01]?\\d|2[0-3]):[0-5]\\d';
const TIME_POINT = `(?:${DATE} )?${CLOCK}`;
const DATE_POINT = `${DATE}(?: ${CLOCK})?`;
// 时间段: two points joined by ~; a range that ends on its start's day may end with a bare clock.
const TIME = new RegExp(`^\\s*${TIME_POINT}(?:\\s*~\\s*${TIME_POINT})?\\s*$`);
const DATE_OR_RANGE = new RegExp(`^\\s*${DATE_POINT}(?:\\s*~\\s*(?:${DATE_POINT}|${CLOCK}))?\\s*$`);

/** Field type (the key's prefix, `thing1` → `thing`) → its rule. */
export const SANDBOX_FIELD_RULES: Readonly<Record<string, SandboxFieldRule>> = {
  thing: {
    rule: '20个以内字符，可汉字、数字、字母或符号组合',
    examples: [],
    accepts: (v) => chars(v).length <= 20,
  },
  number: {
    rule: '32位以内数字，只能数字，可带小数',
    examples: ['339208499'],
    accepts: (v) => chars(v).length <= 32 && /^\d+(?:\.\d+)?$/.test(v),
  },
  letter: { rule: '32位以内字母，只能字母', examples: [], accepts: only(32, isLetter) },
  symbol: { rule: '5位以内符号，只能符号', examples: [], accepts: only(5, isSymbol) },
  character_string: {
    rule: '32位以内数字、字母或符号，可数字、字母或符号组合',
    examples: [],
    accepts: only(32, (c) => isDigit(c) || isLetter(c) || isSymbol(c)),
  },
  time: {
    rule: '24小时制时间格式（支持+年月日），支持填时间段，两个时间点之间用“~”符号连接',
    examples: ['15:01', '2019年10月1日 15:01'],
    accepts: (v) => TIME.test(v),
  },
  date: {
    rule: '年月日格式（支持+24小时制时间），支持填时间段，两个时间点之间用“~”符号连接',
    examples: ['2019年10月1日', '2019年10月1日 15:01', '2015年01月05日', '2019-12-25 09:42'],
    accepts: (v) => DATE_OR_RANGE.test(v),
  },
  amount: {
    rule: '1个币种符号+10位以内纯数字，可带小数，结尾可带“元”',
    examples: [],
    accepts: (v) => /^\p{Sc}?\d{1,10}(?:\.\d+)?元?$/u.test(v),
  },
  phone_number: {
    rule: '17位以内，数字、符号',
    examples: ['+86-0766-66888866'],
    accepts: only(17, (c) => isDigit(c) || isSymbol(c)),
  },
  car_number: {
    rule: '8位以内，第一位与最后一位可为汉字，其余为字母或数字',
    examples: ['粤A8Z888挂'],
    accepts: (v) => {
      const cs = chars(v);
      return (
        cs.length <= 8 &&
        cs.every((c, i) => isDigit(c) || isLetter(c) || ((i === 0 || i === cs.length - 1) && isHan(c)))
      );
    },
  },
  name: {
    rule: '10个以内纯汉字或20个以内纯字母或符号；中文和字母混合按中文名算，10个字内',
    examples: [],
    accepts: (v) => {
      const cs = chars(v);
      if (cs.some(isHan)) return cs.length <= 10 && cs.every((c) => isHan(c) || isLetter(c) || isSymbol(c));
      // 纯字母或符号 is read as leaving room for the space between a Latin name's parts (Mary Ann).
      return cs.length <= 20 && cs.every((c) => isLetter(c) || isSymbol(c) || c === ' ');
    },
  },
  phrase: { rule: '5个以内纯汉字', examples: ['配送中'], accepts: only(5, isHan) },
  // The allowed values are the template's, on WeChat's side: any value is taken here.
  enum: { rule: '只能上传枚举值范围内的字段值', examples: [], accepts: () => true },
  // WeChat publishes no limit; 5 is the lowest seen in templates (docs/wechat.md#field-rules).
  short_thing: { rule: '5个以内字符（未公布，按5计）', examples: [], accepts: (v) => chars(v).length <= 5 },
};

/** The rule a template key names (`thing1` → thing's, `short_thing3` → short_thing's), or null. */
export function sandboxRuleOf(key: string): SandboxFieldRule | null {
  const type = /^([a-z_]+?)\d*$/.exec(key)?.[1];
  return type !== undefined && Object.hasOwn(SANDBOX_FIELD_RULES, type)
    ? (SANDBOX_FIELD_RULES[type] ?? null)
    : null;
}

/**
 * The first key of a send's `data` WeChat would answer 47003 for, and whether its value is empty
 * (WeChat says `data.<key>.value is empty` then, `… invalid` otherwise); null when all hold.
 */
export function firstFieldProblem(data: Record<string, unknown>): { key: string; empty: boolean } | null {
  for (const [key, entry] of Object.entries(data)) {
    const value: unknown = (entry as { value?: unknown } | null)?.value;
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      return { key, empty: true };
    }
    const rule = sandboxRuleOf(key);
    if (typeof value !== 'string' || !rule?.accepts(value)) return { key, empty: false };
  }
  return null;
}
