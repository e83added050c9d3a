import {
  matchesText,
  normalizeText,
  noticeTerms,
  queryGrams,
  textGrams,
} from '../../src/services/notice-search-terms';

describe('search terms', () => {
  it('normalises full-width and case (NFKC, then lower case)', () => {
    expect(normalizeText('ＥＸＡＭ Sports')).toBe('exam sports');
    expect(normalizeText('期末考试')).toBe('期末考试');
  });

  it('indexes every character and every pair, but no pair across a space or a line break', () => {
    expect([...textGrams('期末 考试\n安')].sort()).toEqual(
      ['安', '期', '期末', '末', '考', '考试', '试'].sort(),
    );
  });

  it('looks a query up by its pairs, or its one character', () => {
    expect(queryGrams('期末考试')).toEqual(['期末', '末考', '考试']);
    expect(queryGrams('末')).toEqual(['末']);
    expect(queryGrams('a b')).toEqual(['a', 'b']);
    expect(queryGrams(' ')).toEqual([]);
  });

  it('has every pair of a query that matches among the notice terms (candidates are never missed)', () => {
    const notice = {
      title: '关于期末考试安排的通知',
      body: 'Bring your EXAM card',
      category: '考试',
      urgency: 'normal' as const,
    };
    const terms = new Set(noticeTerms(notice));
    for (const q of ['期末', '考试安排', '通知', 'exam card', 'ｅｘａｍ', '末']) {
      const text = normalizeText(q);
      expect([q, matchesText(notice, text)]).toEqual([q, true]);
      for (const gram of queryGrams(text)) expect([q, terms.has(`t:${gram}`)]).toEqual([q, true]);
    }
    expect(terms.has('c:考试') && terms.has('u:normal') && terms.has('all')).toBe(true);
    expect(matchesText(notice, normalizeText('期中'))).toBe(false);
  });
});
