import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DOC_FILE, factories, render } from '../../scripts/gen-errors-doc';
import * as errors from '../../src/errors';
import { AppError, CATALOGUE, type ErrorName } from '../../src/errors';

// Like fastify's test/internals/errors.test.js over docs/Reference/Errors.md, both ways: what is
// thrown is documented, what is documented is thrown, and the table is the catalogue's.

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const CATALOGUE_DIR = path.join(SRC, 'errors');
// WeChat's own errcodes (45009, 40001…) are data there, not answers of this server.
const WECHAT_DATA = [path.join(SRC, 'wechat'), path.join(SRC, 'sandbox')];

interface Source {
  file: string; // relative to the repo
  text: string;
}

function sources(dir: string, skip: string[] = []): Source[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (skip.includes(full)) return [];
    if (entry.isDirectory()) return sources(full, skip);
    return entry.name.endsWith('.ts')
      ? [{ file: path.relative(ROOT, full), text: readFileSync(full, 'utf8') }]
      : [];
  });
}

const errorClasses = Object.entries(errors)
  .filter(([, v]) => typeof v === 'function' && (v === AppError || v.prototype instanceof AppError))
  .map(([name]) => name);

/** Errors built by hand: `new <an AppError class>(`, or a new class extending one. */
function handBuilt(source: Source): string[] {
  const names = errorClasses.join('|');
  const pattern = new RegExp(`\\b(?:new|extends)\\s+(?:${names})\\b`, 'g');
  return [...source.text.matchAll(pattern)].map((m) => `${source.file}: ${m[0]}`);
}

/** A reply built by hand around one of our errcodes (status × 100 + n, 4xx or 5xx). */
function literalErrcodes(source: Source): string[] {
  return [...source.text.matchAll(/\berrcode\s*:\s*[45]\d{4}\b/g)].map((m) => `${source.file}: ${m[0]}`);
}

/** Whether code uses `name`, not counting the import that brings it in. */
function references(name: string, text: string): boolean {
  const code = text.replace(/^import\s[\s\S]*?\sfrom\s+['"][^'"]+['"];?$/gm, '');
  return new RegExp(`\\b${name}\\b`).test(code);
}

/** The errcodes of docs/errors.md's table, in order. */
function documentedErrcodes(markdown: string): number[] {
  return [...markdown.matchAll(/^\| (\d{5}) \|/gm)].map((m) => Number(m[1]));
}

const entries = Object.entries(CATALOGUE) as [ErrorName, (typeof CATALOGUE)[ErrorName]][];
const outsideCatalogue = sources(SRC, [CATALOGUE_DIR]);
const doc = readFileSync(DOC_FILE, 'utf8');

describe('the error catalogue and docs/errors.md', () => {
  it('documents every errcode of the catalogue once, and no errcode it does not have', () => {
    const documented = documentedErrcodes(doc);
    const catalogued: number[] = entries.map(([, e]) => e.errcode);
    expect({ undocumented: catalogued.filter((c) => !documented.includes(c)) }).toEqual({ undocumented: [] });
    expect({ notInCatalogue: documented.filter((c) => !catalogued.includes(c)) }).toEqual({
      notInCatalogue: [],
    });
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('is exactly what `npm run docs:errors` writes (run it after changing src/errors/)', () => {
    expect(doc).toBe(render());
  });

  it('throws every entry somewhere in src through one of its factories, and has no unused factory', () => {
    const used = (name: string) => outsideCatalogue.some((s) => references(name, s.text));
    const all = factories();
    const unusedFactories = all.filter((f) => !used(f.name)).map((f) => f.name);
    const thrownNowhere = entries
      .map(([name]) => name)
      .filter((name) => !all.some((f) => f.entry === name && used(f.name)));
    expect({ unusedFactories, thrownNowhere }).toEqual({ unusedFactories: [], thrownNowhere: [] });
  });

  it('builds no client-facing error outside src/errors/: no new error class instance, no errcode by hand', () => {
    expect(outsideCatalogue.flatMap(handBuilt)).toEqual([]);
    const replies = outsideCatalogue.filter(
      (s) => !WECHAT_DATA.some((dir) => s.file.startsWith(path.relative(ROOT, dir))),
    );
    expect(replies.flatMap(literalErrcodes)).toEqual([]);
  });

  it('gives each errcode its status × 100 + n, once, and each error class one status', () => {
    const codes = entries.map(([, e]) => e.errcode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, entry] of entries) {
      expect({ name, status: Math.floor(entry.errcode / 100) }).toEqual({ name, status: entry.status });
    }
    const statusOf = new Map<string, Set<number>>();
    for (const [, e] of entries)
      statusOf.set(e.type.name, (statusOf.get(e.type.name) ?? new Set()).add(e.status));
    const mixed = [...statusOf].filter(([, s]) => s.size > 1).map(([type]) => type);
    expect(mixed).toEqual([]);
  });

  it("builds each error with its entry's class, status and errcode", () => {
    const built = [
      errors.reminderNotFound(),
      errors.invalidRequest([{ path: 'at', message: 'must be in the future' }]),
      errors.redisUnavailable({ cause: new Error('ECONNREFUSED') }),
      errors.healthRedisLoading(),
    ];
    expect(built.map((e) => [e.constructor.name, e.status, e.errcode, e.message])).toEqual([
      ['NotFoundError', 404, 40402, 'reminder not found'],
      ['ValidationError', 400, 40001, 'invalid request: at'],
      ['RedisUnavailableError', 503, 50301, 'storage is unavailable, try again shortly'],
      ['RedisLoadingError', 503, 50304, 'redis is loading its data (LOADING)'],
    ]);
    expect(built[1]?.details).toEqual([{ path: 'at', message: 'must be in the future' }]);
    expect(built[2]).toBeInstanceOf(errors.RedisUnavailableError);
    expect(built[2]).toBeInstanceOf(errors.ServiceUnavailableError);
    expect(built[2]?.cause).toBeInstanceOf(Error);
    expect('cause' in built[0]!).toBe(false);
  });

  it('shows only catalogued errcodes in the examples of docs/openapi.yaml', () => {
    const text = JSON.stringify(parse(readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8')));
    const shown = new Set([...text.matchAll(/"errcode":([45]\d{4})\b/g)].map((m) => Number(m[1])));
    expect(shown.size).toBeGreaterThan(3); // the pattern finds the examples that are there
    const catalogued: number[] = entries.map(([, e]) => e.errcode);
    expect([...shown].filter((c) => !catalogued.includes(c))).toEqual([]);
  });

  // A scan that finds nothing proves nothing unless it finds what is planted.
  it('finds a planted hand-built error, a hand-built errcode and a factory call (positive control)', () => {
    const planted: Source = {
      file: 'src/services/planted.ts',
      text: [
        "import { reminderNotFound } from '../errors';",
        "const a = new NotFoundError('reminder not found', 40402);",
        'class Mine extends AppError {}',
        "ctx.body = { errcode: 50000, errmsg: 'internal error' };",
      ].join('\n'),
    };
    expect(handBuilt(planted)).toEqual([
      'src/services/planted.ts: new NotFoundError',
      'src/services/planted.ts: extends AppError',
    ]);
    expect(literalErrcodes(planted)).toEqual(['src/services/planted.ts: errcode: 50000']);
    expect(references('reminderNotFound', planted.text)).toBe(false); // imported only
    expect(references('reminderNotFound', `${planted.text}\nthrow reminderNotFound();`)).toBe(true);
    expect(outsideCatalogue.length).toBeGreaterThan(40); // the walk reaches the tree
  });
});
