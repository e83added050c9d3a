import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// Comments cite the repo's own docs (docs/architecture.md, docs/wechat.md, README sections), never
// files a reader of the repo does not have; and what the docs point at must exist, so that each
// guarantee stays one hop from its code.

const ROOT = path.join(__dirname, '..', '..');
const CODE_DIRS = ['src', 'test', 'scripts', 'drills', 'bench', 'lab'];
const SKIP = new Set(['node_modules', 'results', 'dist']);
// Built from parts so that this file does not cite them itself.
const FOREIGN = new RegExp(['SPE' + 'C §', 'SPE' + 'C\\.md', 'WECH' + 'AT\\.md'].join('|'));

function files(dir: string, exts: readonly string[]): string[] {
  const full = path.join(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return files(rel, exts);
    return exts.some((e) => name.endsWith(e)) ? [rel] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(doc: string): Set<string> {
  const text = readFileSync(path.join(ROOT, doc), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

const code = CODE_DIRS.flatMap((d) => files(d, ['.ts', '.lua', '.js', '.cjs', '.mjs']));
const docs = ['README.md', ...files('docs', ['.md', '.yaml'])];

describe('citations', () => {
  it('never point at files outside the repo', () => {
    const offenders = [...code, ...docs].flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (FOREIGN.test(line) ? [`${file}:${i + 1}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('name anchors that exist in the docs they cite', () => {
    const known = new Map(docs.map((doc) => [doc, anchors(doc)]));
    const broken: string[] = [];
    let checked = 0;
    for (const file of [...code, ...docs]) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, target = '', anchor = ''] of text.matchAll(
        /((?:\.\.\/|docs\/)?(?:README|architecture|wechat|errors)\.md)#([\w-]+)/g,
      )) {
        const doc =
          target.startsWith('README') || target === '../README.md'
            ? 'README.md'
            : `docs/${path.basename(target)}`;
        checked += 1;
        if (!known.get(doc)?.has(anchor)) broken.push(`${file}: ${target}#${anchor}`);
      }
    }
    for (const doc of docs) {
      for (const [, anchor = ''] of readFileSync(path.join(ROOT, doc), 'utf8').matchAll(/\]\(#([\w-]+)\)/g)) {
        checked += 1;
        if (!known.get(doc)?.has(anchor)) broken.push(`${doc}: #${anchor}`);
      }
    }
    expect(checked).toBeGreaterThan(60); // the pattern does find the citations
    expect(broken).toEqual([]);
  });

  it.each(['docs/architecture.md', 'docs/wechat.md'])(
    '%s names files, scripts and methods that exist',
    (doc) => {
      const text = readFileSync(path.join(ROOT, doc), 'utf8');
      const missing: string[] = [];
      for (const [, file = ''] of text.matchAll(/`((?:src|test)\/[\w./-]+\.(?:ts|lua))`/g)) {
        if (!existsSync(path.join(ROOT, file))) missing.push(file);
      }
      for (const [, script = ''] of text.matchAll(/`([\w-]+\.lua)`/g)) {
        if (!existsSync(path.join(ROOT, 'src/store/lua', script))) missing.push(script);
      }
      const sources = files('src', ['.ts']).map((f) => readFileSync(path.join(ROOT, f), 'utf8'));
      for (const [, owner = '', member = ''] of text.matchAll(/`([A-Z]\w+)\.(\w+)`/g)) {
        const declared = sources.some(
          (source) =>
            new RegExp(`\\bclass ${owner}\\b`).test(source) &&
            new RegExp(`^\\s+(?:(?:private|readonly|async|get|static) )*${member}\\b`, 'm').test(source),
        );
        if (!declared) missing.push(`${owner}.${member}`);
      }
      expect(missing).toEqual([]);
    },
  );
});
