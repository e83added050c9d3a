import { readFileSync } from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { parse } from 'yaml';
import { SchemaChecker, type Schema } from './schema-check';

/** docs/openapi.yaml, parsed once per test file, for the feature tests that hold answers to it. */
export interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
}
export const openapiDoc = parse(
  readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8'),
) as OpenApi;
const checker = new SchemaChecker(openapiDoc as unknown as Schema);

/**
 * Holds one answer to the document: its status must be listed for the operation with its content
 * type, and a JSON body must conform to that schema (test/docs/openapi.test.ts's rule, for the
 * feature tests that exercise their own operations).
 */
export function holdToDocument(method: string, docPath: string, res: request.Response): request.Response {
  const response = openapiDoc.paths[docPath]?.[method.toLowerCase()]?.responses[String(res.status)];
  if (!response) throw new Error(`${method} ${docPath} answered ${res.status} ${res.text}, not documented`);
  const content = checker.resolve(response).content as Record<string, { schema: Schema }> | undefined;
  const media = content?.[res.type];
  if (!media) throw new Error(`${method} ${docPath} ${res.status}: no ${res.type} content documented`);
  if (res.type === 'application/json') {
    expect({
      answer: `${method} ${docPath} ${res.status}`,
      problems: checker.check(media.schema, res.body),
    }).toEqual({ answer: `${method} ${docPath} ${res.status}`, problems: [] });
  }
  return res;
}
