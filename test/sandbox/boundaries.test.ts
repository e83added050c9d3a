import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');
const SANDBOX = path.join(SRC, 'sandbox');

/** The modules `file` imports at load time (value imports and re-exports; not `import type`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
    const spec = match[1];
    if (!spec) continue;
    const base = path.resolve(path.dirname(file), spec);
    const resolved = [`${base}.ts`, path.join(base, 'index.ts'), base].find((p) => existsSync(p));
    if (resolved?.endsWith('.ts')) found.push(resolved);
  }
  return found;
}

function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(file));
  }
  return seen;
}

describe('the sandbox beside the product', () => {
  it('is not loaded by npm start unless it runs in sandbox mode (main.ts requires it only then)', () => {
    const loaded = [...loadedBy(path.join(SRC, 'main.ts'))].map((f) => path.relative(SRC, f));
    expect(loaded).toContain('instance.ts'); // the walk does follow main.ts's imports
    expect(loaded.filter((f) => f.startsWith(`sandbox${path.sep}`))).toEqual([]);
  });

  it('shares no code with the product it stands in for, its field rules included', () => {
    const files = readdirSync(SANDBOX).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('field-rules.ts');
    const outside = files.flatMap((f) =>
      staticImports(path.join(SANDBOX, f))
        .filter((imported) => !imported.startsWith(SANDBOX + path.sep))
        .map((imported) => `${f} → ${path.relative(SRC, imported)}`),
    );
    expect(outside).toEqual([]);
  });
});
