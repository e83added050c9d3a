import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tixing } from '../../lab/tixing';

export interface MainEnv {
  /** This test's working folder: the embedded Redis keeps its data under `var/redis` there. */
  readonly cwd: string;
  /**
   * `src/main.ts` as `npm start` runs it, from source, in `cwd`, with nothing configured but `env`
   * (default: embedded Redis and the WeChat sandbox); resolves once it is listening.
   */
  start(env?: Record<string, string>): Promise<Tixing>;
}

/**
 * The one way a test runs tixing as a process (lab/tixing.ts, as the drills and benchmarks do): a
 * fresh folder per test, and after each test every process it started stopped the polite way
 * first (so it stops its embedded redis-server too), then the folder removed.
 */
export function useMainProcess(name: string): MainEnv {
  let cwd: string | undefined;
  const started: Tixing[] = [];
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), `tixing-${name}-`));
  });
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop(15_000);
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  }, 20_000);
  const folder = () => {
    if (!cwd) throw new Error('useMainProcess(): the folder is made in beforeEach');
    return cwd;
  };
  return {
    get cwd() {
      return folder();
    },
    async start(env = {}) {
      const p = new Tixing({
        name: `main-${started.length}`,
        cwd: folder(),
        env: { PORT: '0', LOG_LEVEL: 'info', ...env },
      });
      started.push(p);
      await p.start();
      return p;
    },
  };
}
