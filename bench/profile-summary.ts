/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or TIXING_CPU_PROF=<dir> npm run bench) as
 * self time by function and by package, and time spent under each of our own functions.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|drills)\//, '$1/');
  // Our files are compiled by tsx at load, so their line numbers point into its output: omit them.
  const line = where && !/^(src|bench|drills)\//.test(where) ? `:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}${line}`;
}

function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName; // (idle), (garbage collector), native
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(src\/[^/]+)\//.exec(url)?.[1];
  return own ?? url.replace(/^node:(internal\/)?/, 'node:').replace(/\/[^/]*$/, '');
}

export function summarise(profile: Profile, rows = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const under = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((sample, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(sample);
    if (!node) return;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + dt);
    pkg.set(packageOf(node), (pkg.get(packageOf(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id);
      if (!frame || !/\/src\//.test(frame.callFrame.url)) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      under.set(name, (under.get(name) ?? 0) + dt);
    }
  });
  const table = (title: string, m: Map<string, number>) =>
    [
      `-- ${title}`,
      ...[...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, rows)
        .map(
          ([k, t]) =>
            `${(t / 1000).toFixed(0).padStart(7)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`,
        ),
    ].join('\n');
  return [
    `total ${(total / 1000).toFixed(0)} ms`,
    table('self time by function', self),
    table('self time by package', pkg),
    table('time under our functions (src/)', under),
  ].join('\n\n');
}

if (require.main === module) {
  const [file, rows] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [rows]');
    process.exit(2);
  }
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(rows ?? 25)));
}
