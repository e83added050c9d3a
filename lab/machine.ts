import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGB: number;
  os: string;
  node: string;
  redis: string;
}

/** What a figure was measured on: the numbers mean little without it. */
export function machine(): Machine {
  let redis = 'unknown';
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    redis = /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    // reported as unknown; the runs themselves fail with install instructions
  }
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis,
  };
}

export function describeMachine(m: Machine): string {
  return `${m.nproc} CPUs (${m.cpu}), ${m.memoryGB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redis}`;
}
