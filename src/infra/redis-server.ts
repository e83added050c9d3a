import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Options of a redis-server child process. */
export interface RedisServerOptions {
  dir: string; // data directory (AOF lives here)
  port?: number; // default: a free loopback port
  appendOnly?: boolean; // default true: the store of record must survive a restart
  binary?: string; // default: redis-server on PATH
}

export class RedisServerMissingError extends Error {
  constructor(binary: string) {
    super(
      `${binary} was not found. Install it (Debian/Ubuntu: "sudo apt-get install -y redis-server", ` +
        'macOS: "brew install redis") or set REDIS_URL to an existing Redis.',
    );
  }
}

/**
 * A redis-server child process on 127.0.0.1: the embedded Redis of `npm start` and the real Redis
 * of the tests. It can be stopped and started again on the same port and data (outage drills).
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

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
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new RedisServerMissingError(binary) : err),
      );
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)),
      );
    });
    child.removeAllListeners('exit');
    // Keep draining the pipes so the child never blocks on a full buffer.
    child.stdout?.resume();
    child.stderr?.resume();
    // The child must not outlive us even if we crash without calling stop().
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    processes.add(child);
  }

  /** Stops the server (SIGTERM; redis fsyncs the AOF) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        processes.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
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
