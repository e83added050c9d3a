import { tixingScript } from './build';
import { NodeProcess, type NodeProcessOptions } from './node-process';

/**
 * A tixing instance process, `src/main.ts` run from source (compiled, in benchmarks: lab/build.ts): its URL comes from its "listening on"
 * line. Its configuration is all in `env`: none of the caller's variables leak in (node-process.ts).
 */
export class Tixing extends NodeProcess {
  constructor(options: Omit<NodeProcessOptions, 'script' | 'ready'>) {
    super({
      ...options,
      script: tixingScript(),
      ready: /tixing is listening on (http:\/\/[\d.]+:\d+)/,
    });
  }

  get url(): string {
    if (!this.readyMatch) throw new Error(`${this.options.name} has not started`);
    return this.readyMatch;
  }

  /** Instance ids start with the pid (`<pid>-<hex>`), and so do the owners of its claims. */
  ownsClaim(owner: string): boolean {
    return owner.startsWith(`${this.pid}-`);
  }

  async health(): Promise<{ status: number; jobs?: number }> {
    const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json().catch(() => ({}))) as { data?: { jobs?: number } };
    return { status: res.status, jobs: body.data?.jobs };
  }
}
