import { readFileSync } from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { parse } from 'yaml';
import { SchemaChecker, type Schema } from '../docs/schema-check';
import { TestClock, useSandbox } from '../support/harness';
import { exerciseCheckinRoutes } from './documented';

/** The check-in routes' answers against docs/openapi.yaml: every status listed, every body its schema. */
const DOC = parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
};
const checker = new SchemaChecker(DOC as unknown as Schema);
const env = useSandbox();

describe('the check-in routes in docs/openapi.yaml', () => {
  it('documents each answer: its status for the operation, its body by the schema', async () => {
    const clock = new TestClock();
    const t = await env.start({ now: clock.now });
    const problems: string[] = [];
    const seen = new Set<string>();
    const expectDocumented = (method: string, docPath: string, res: request.Response) => {
      seen.add(`${method} ${docPath} ${res.status}`);
      const response = DOC.paths[docPath]?.[method.toLowerCase()]?.responses[String(res.status)];
      if (!response) {
        problems.push(`${method} ${docPath}: ${res.status} is not documented (${res.text})`);
        return;
      }
      const content = checker.resolve(response).content as Record<string, { schema: Schema }> | undefined;
      const schema = content?.[res.type]?.schema;
      if (!schema) problems.push(`${method} ${docPath} ${res.status}: no ${res.type} content`);
      else
        problems.push(
          ...checker.check(schema, res.body).map((p) => `${method} ${docPath} ${res.status}: ${p}`),
        );
    };
    await exerciseCheckinRoutes(t, env.sandbox, clock, expectDocumented);
    expect(problems).toEqual([]);
    const operations = Object.entries(DOC.paths)
      .filter(([p]) => p.startsWith('/api/checkins') || p === '/api/groups/{id}/checkins')
      .flatMap(([p, item]) =>
        Object.keys(item)
          .filter((m) => m !== 'parameters')
          .map((m) => `${m.toUpperCase()} ${p}`),
      );
    expect(operations).toHaveLength(7);
    // Every operation answered a 2xx, and every status each one documents was seen.
    for (const op of operations) expect([...seen].some((s) => s.startsWith(`${op} 2`))).toBe(true);
    const documented = Object.entries(DOC.paths)
      .filter(([p]) => p.startsWith('/api/checkins') || p === '/api/groups/{id}/checkins')
      .flatMap(([p, item]) =>
        Object.entries(item)
          .filter(([m]) => m !== 'parameters')
          .flatMap(([m, op]) =>
            Object.keys(op.responses).map((status) => `${m.toUpperCase()} ${p} ${status}`),
          ),
      );
    const unseen = documented.filter((d) => !seen.has(d) && !/ (413|415|503)$/.test(d));
    expect(unseen).toEqual([]);
    expect(seen.has('POST /api/groups/{id}/checkins 503')).toBe(true);
  });
});
