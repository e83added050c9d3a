// The web console's build (README.md#web-console): bundles console/src with esbuild into
// dist/console (or the folder given as the first argument) with content-hashed names, and writes
// index.html naming them. `npm run build` runs it; src/http/static.ts serves the folder at /console.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const out = path.resolve(root, process.argv[2] ?? path.join('dist', 'console'));

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { app: path.join(here, 'src', 'main.tsx'), styles: path.join(here, 'src', 'styles.css') },
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = Object.entries(result.metafile.outputs);
const named = (entry) => {
  const found = outputs.find(([, o]) => o.entryPoint && path.resolve(root, o.entryPoint) === entry);
  if (!found) throw new Error(`no output for ${entry}`);
  return path.basename(found[0]);
};
const template = await readFile(path.join(here, 'src', 'index.html'), 'utf8');
const html = template
  .replace('%APP%', named(path.join(here, 'src', 'main.tsx')))
  .replace('%STYLES%', named(path.join(here, 'src', 'styles.css')));
await writeFile(path.join(out, 'index.html'), html);
await copyFile(path.join(here, 'src', 'favicon.svg'), path.join(out, 'favicon.svg'));
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(
  `console built into ${path.relative(root, out) || '.'} (${Math.round(bytes / 1024)} KiB with source maps)`,
);
