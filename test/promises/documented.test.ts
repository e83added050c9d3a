import { readFileSync } from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { parse } from 'yaml';
import { SchemaChecker, type Schema } from '../docs/schema-check';
import { useSandbox } from '../support/harness';
import { exercisePromiseRoutes } from './documented';

/** The promise routes' answers against docs/openapi.yaml: every status listed, every body its schema. */
const DOC = parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
};
const checker = new SchemaChecker(DOC as unknown as Schema);
const env = useSandbox();

describe('the promise routes in docs/openapi.yaml', () => {
  it('documents each answer: its status for the operation, its body by the schema', async () => {
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
    await exercisePromiseRoutes(env, expectDocumented);
    expect(problems).toEqual([]);
    // Every operation, and the failures that matter, were seen.
    const operations = Object.entries(DOC.paths)
      .filter(([p]) => p.startsWith('/api/promises'))
      .flatMap(([p, item]) =>
        Object.keys(item)
          .filter((m) => m !== 'parameters')
          .map((m) => `${m.toUpperCase()} ${p}`),
      );
    expect(operations).toHaveLength(7);
    for (const op of operations) expect([...seen].some((s) => s.startsWith(`${op} 2`))).toBe(true);
    for (const status of ['400', '401', '403', '404', '409', '410']) {
      expect([...seen].some((s) => s.endsWith(` ${status}`))).toBe(true);
    }
  });
});
