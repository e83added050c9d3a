import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './node-process';

/** Where compileForBench() puts the compiled tree; Tixing runs `<it>/src/main.js` once it exists. */
export const BENCH_BUILD_DIR = path.join(ROOT, 'var', 'bench-build');
const BUILT_ENV = 'TIXING_LAB_BUILT';

/**
 * Compiles src/ with tsc, as `npm run build` does for production, so that benchmarks measure the
 * JavaScript that ships rather than tsx's on-the-fly transform (which wraps every named function
 * in a helper call and costs our own code, not the baselines' packages, a few percent). From then
 * on every tixing process a lab starts in this process runs the compiled `main.js`.
 */
export function compileForBench(): void {
  rmSync(BENCH_BUILD_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      BENCH_BUILD_DIR,
      '--sourceMap',
      'false',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  cpSync(path.join(ROOT, 'src', 'store', 'lua'), path.join(BENCH_BUILD_DIR, 'src', 'store', 'lua'), {
    recursive: true,
  });
  process.env[BUILT_ENV] = '1';
}

/** The script a tixing process runs: the compiled one after compileForBench(), else src/main.ts. */
export function tixingScript(): string {
  return process.env[BUILT_ENV]
    ? path.join(BENCH_BUILD_DIR, 'src', 'main.js')
    : path.join(ROOT, 'src', 'main.ts');
}
