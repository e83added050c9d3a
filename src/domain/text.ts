/**
 * The rules every text field of the API follows (docs/architecture.md#input-rules): text is stored as the
 * client meant it or refused, never silently mended. Lone surrogates cannot be stored (Redis and
 * JSON writers replace them with U+FFFD) and control characters are invisible in a WeChat card,
 * so both are a 400 naming the field; `\n` is allowed where a field holds several lines.
 */

// C0, DEL and C1 control characters; the multi-line variant lets \n through.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/* eslint-enable no-control-regex */
// With the u flag a lone surrogate is a code point of its own, and the only thing \p{Cs} matches.
const LONE_SURROGATE = /\p{Cs}/u;

export interface TextRules {
  multiline?: boolean; // `\n` allowed (long text such as a detail), default false
}

/** What is wrong with a text value as received, phrased to follow the field's name; null if nothing. */
export function textProblem(value: string, rules: TextRules = {}): string | null {
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (it contains a lone surrogate)';
  const control = (rules.multiline ? CONTROL_EXCEPT_NEWLINE : CONTROL).exec(value);
  if (control) {
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return rules.multiline
      ? `must not contain control characters other than line breaks (found ${code})`
      : `must not contain control characters or line breaks (found ${code})`;
  }
  return null;
}

/** The form text is stored in: NFC, so that one word typed on two keyboards is one string. */
export function normalizeText(value: string): string {
  return value.normalize('NFC');
}
