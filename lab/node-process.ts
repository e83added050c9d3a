import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from './wait';

export const ROOT = path.resolve(__dirname, '..');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.cjs');

// Every child still running, killed with SIGKILL when this process exits for any reason (the
// children also watch for their parent's death themselves: exit-with-parent.cjs).
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// Variables of README.md#configuration (and Node's) that must not leak from the caller's shell into a child.
const INHERITED_BLOCKLIST = [
  'PORT',
  'HOST',
  'REDIS_URL',
  'REDIS_PREFIX',
  'WX_APPID',
  'WX_APPSECRET',
  'WX_API_BASE',
  'WX_TEMPLATE_ID',
  'WX_MINIPROGRAM_STATE',
  'WX_TOKEN',
  'WX_AES_KEY',
  'ADMIN_TOKEN',
  'DEFAULT_TIMEZONE',
  'SESSION_TTL_SECONDS',
  'MISFIRE_GRACE_SECONDS',
  'QUOTA_MODE',
  'SEND_CONCURRENCY',
  'LOG_LEVEL',
  'NODE_OPTIONS',
];

/** How a run ended: exit code (null when killed by a signal), the signal, and when (epoch ms). */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface NodeProcessOptions {
  name: string;
  script: string; // a .ts file, run with `node --import tsx`, or a compiled .js file
  cwd: string; // also where its log goes: <cwd>/<name>.log
  env: Record<string, string>;
  ready: RegExp; // a log line that says it is serving; group 1, if any, is kept as `readyMatch`
  readyTimeoutMs?: number; // default 30 s
  nodeArgs?: string[]; // e.g. ['--cpu-prof']
}

/**
 * One Node process run from TypeScript source, as an operator would start it: own pid, stdout and
 * stderr appended to a log file, ready when a line matches. It can be killed with SIGKILL (a
 * crash), stopped with SIGTERM (a deploy) and started again with the same settings. The one way
 * the tests, the drills and the benchmarks run `src/main.ts` (or another script of ours).
 */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> = Promise.resolve({ code: null, signal: null, at: 0 });
  private logOffset = 0; // where the current run's output starts in the log file
  readyMatch: string | undefined;
  startedAt = 0;
  readyAt = 0;

  constructor(readonly options: NodeProcessOptions) {}

  get logFile(): string {
    return path.join(this.options.cwd, `${this.options.name}.log`);
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.options.name} is not running`);
    return pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and resolves once its ready line appears (rejects if it exits first). */
  async start(): Promise<void> {
    if (this.alive) throw new Error(`${this.options.name} is already running`);
    const { options } = this;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of INHERITED_BLOCKLIST) delete env[name];
    // tsx looks for tsconfig.json from the cwd, which is a scratch folder here.
    Object.assign(env, { TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') }, options.env);
    const fd = openSync(this.logFile, 'a');
    const offset = statSync(this.logFile).size;
    this.logOffset = offset;
    const args = [
      ...(options.nodeArgs ?? []),
      '--require',
      EXIT_WITH_PARENT,
      // A compiled script (lab/build.ts) runs as it is; a .ts one through tsx.
      ...(options.script.endsWith('.js') ? [] : ['--import', TSX_LOADER]),
      options.script,
    ];
    this.startedAt = performance.now();
    const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    live.add(child);
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal, at: Date.now() });
      });
      child.once('error', () => {
        live.delete(child);
        resolve({ code: null, signal: null, at: Date.now() });
      });
    });
    const match = await waitFor(
      () => {
        const found = options.ready.exec(this.output());
        if (!found && !this.alive) throw new Error('exited');
        return found;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, everyMs: 25 },
    ).catch(async (err: Error) => {
      const alive = this.alive;
      if (alive) await this.kill9();
      throw new Error(
        `${options.name} did not become ready (${alive ? 'timeout' : 'exited'}: ${err.message}); log tail:\n` +
          this.output().slice(-2000),
      );
    });
    this.readyAt = performance.now();
    this.readyMatch = match[1];
  }

  /** Start-to-ready of the last start, ms. */
  get readyMs(): number {
    return Math.round(this.readyAt - this.startedAt);
  }

  /** A crash: SIGKILL, no shutdown code runs. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** A graceful stop: SIGTERM, then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.alive) return;
    const child = this.child;
    const timer = setTimeout(() => child?.kill('SIGKILL'), timeoutMs);
    child?.kill('SIGTERM');
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends a signal and returns at once (see `exit` for how the run ends). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child?.kill(signal);
  }

  /** Resolves how the current (or last) run ended, once it has. */
  get exit(): Promise<Exit> {
    return this.exited;
  }

  /** Exit code of the last run (null while running or when killed by a signal). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** What the current (or last) run has written to stdout and stderr so far. */
  output(): string {
    return this.readLog(this.logOffset);
  }

  /** Resolves the first match of `pattern` in this run's output; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return waitFor(() => pattern.exec(this.output()), {
      timeoutMs,
      everyMs: 25,
      what: `${pattern} in the output`,
    });
  }

  /** Resident set size in MB, from /proc (Linux) — the whole process, heap and native memory. */
  rssMB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
    return Math.round(kb / 1024);
  }

  /** CPU time (user + system) the process has used so far, ms, from /proc (Linux). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND);
  }

  /**
   * System calls that wrote (write, writev…) and read so far, and the bytes they moved, from /proc
   * (Linux): sockets included.
   */
  syscalls(): { writes: number; reads: number; bytesWritten: number; bytesRead: number } {
    const io = readFileSync(`/proc/${this.pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(io)?.[1] ?? NaN);
    return {
      writes: field('syscw'),
      reads: field('syscr'),
      bytesWritten: field('wchar'),
      bytesRead: field('rchar'),
    };
  }

  readLog(offset = 0): string {
    try {
      return readFileSync(this.logFile).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }
}
