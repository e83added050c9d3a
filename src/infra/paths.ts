import { existsSync } from 'node:fs';
import path from 'node:path';

/** The checkout's root (package.json beside config/), whether running from src/ or dist/src/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!(existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'config')))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
