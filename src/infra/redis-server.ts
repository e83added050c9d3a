import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Options of a redis-server child process. */
export interface RedisServerOptions {
  dir: string; // data directory (AOF lives here)
  port?: number; // default: a free loopback port
  appendOnly?: boolean; // default true: the store of record must survive a restart
  binary?: string; // default: redis-server on PATH
  args?: string[]; // more redis-server arguments, after ours (e.g. ['--key-load-delay', '500'])
}

export class RedisServerMissingError extends Error {
  constructor(binary: string) {
    super(
      `${binary} was not found. Install it (Debian/Ubuntu: "sudo apt-get install -y redis-server", ` +
        'macOS: "brew install redis") or set REDIS_URL to an existing Redis.',
    );
  }
}

/** How a redis-server ended without being asked to: exit code or signal, and its last output. */
export interface RedisServerExit {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string; // the end of its stdout and stderr
}

/**
 * A redis-server child process on 127.0.0.1: the embedded Redis of `npm start` and the real Redis
 * of the tests. It can be stopped and started again on the same port and data (outage drills).
 * Emits `exit` (a RedisServerExit) when it dies on its own (crash, kill -9), never on stop().
 */
export class RedisServer extends EventEmitter<{ exit: [RedisServerExit] }> {
  private child: ChildProcess | undefined;
  private stopping = false;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    super();
  }

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The running server's process id (to signal it in drills), undefined when it is not running. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Starts it (on the same port and data as before) and resolves once it accepts commands. */
  async start(): Promise<void> {
    if (this.running) return;
    mkdirSync(this.options.dir, { recursive: true });
    const binary = this.options.binary ?? 'redis-server';
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.options.dir,
      '--appendonly',
      this.options.appendOnly === false ? 'no' : 'yes',
      '--save',
      '',
      '--protected-mode',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      ...(this.options.args ?? []),
    ];
    this.stopping = false;
    this.output = '';
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    processes.add(child);
    // Keep the end of the output for the exit report; reading also keeps the pipes drained, so
    // the child never blocks on a full buffer.
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (!this.output.includes('Ready to accept connections')) return;
        child.stdout?.off('data', onData);
        child.off('exit', onEarlyExit);
        resolve();
      };
      const onEarlyExit = (code: number | null) => {
        processes.delete(child);
        reject(new Error(`redis-server exited with ${code}: ${this.output.slice(-500)}`));
      };
      child.stdout?.on('data', onData);
      child.once('error', (err: NodeJS.ErrnoException) => {
        processes.delete(child);
        reject(err.code === 'ENOENT' ? new RedisServerMissingError(binary) : err);
      });
      child.once('exit', onEarlyExit);
    });
    child.once('exit', (code, signal) => {
      processes.delete(child);
      if (this.stopping || this.child !== child) return;
      this.emit('exit', { pid: child.pid, code, signal, output: this.output });
    });
    // The child must not outlive us even if we crash without calling stop().
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** Stops the server (SIGTERM; redis fsyncs the AOF) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    await new Promise<void>((resolve) => {
      // A paused (SIGSTOP) server acts on SIGTERM only once continued; SIGKILL is the last word.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
      child.kill('SIGCONT');
    });
  }
}

export interface SupervisionOptions {
  maxRestarts?: number; // restarts allowed within windowMs before giving up, default 5
  windowMs?: number; // default 60 s
  onExit?: (exit: RedisServerExit) => void; // it died; a restart follows (or onGiveUp)
  onRestart?: (restart: { pid: number | undefined; restarts: number }) => void; // back, same port and data
  onGiveUp: (exit: RedisServerExit, restarts: number) => void; // it keeps dying: the owner should exit
}

/**
 * Restarts a redis-server that dies on its own, on the same port and data directory, so the
 * clients' reconnect finds it and nothing acknowledged is lost (the AOF is written before Redis
 * answers). A server that keeps dying (more than `maxRestarts` deaths within `windowMs`, counting
 * failed restarts) is left dead and `onGiveUp` is called: a whole-process restart by a process
 * manager is then the better remedy. Waits 100 ms, doubling, before each restart. Returns a stop
 * function for a planned shutdown.
 */
export function superviseRedisServer(server: RedisServer, options: SupervisionOptions): () => void {
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const restarts: number[] = []; // when each restart began
  let stopped = false;
  const onExit = async (first: RedisServerExit) => {
    let exit = first;
    options.onExit?.(exit);
    for (;;) {
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] as number) <= now - windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        if (!stopped) options.onGiveUp(exit, restarts.length);
        return;
      }
      restarts.push(now);
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (restarts.length - 1)));
      if (stopped) return;
      try {
        await server.start();
        options.onRestart?.({ pid: server.pid, restarts: restarts.length });
        return;
      } catch (err) {
        exit = { pid: undefined, code: null, signal: null, output: (err as Error).message };
      }
    }
  };
  const listener = (exit: RedisServerExit) => void onExit(exit);
  server.on('exit', listener);
  return () => {
    stopped = true;
    server.off('exit', listener);
  };
}

const processes = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of processes) child.kill('SIGKILL');
});

/** Where `npm start` writes the URL of its embedded Redis, so scripts can find it. */
export function embeddedRedisUrlFile(dir: string): string {
  return path.join(dir, 'url');
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
