/**
 * The JSON Schemas of the --json documents (docs/json/*.schema.json) and an assertion that a
 * command's stdout is one document valid against the schema it names.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { RunResult } from './cli.js';

/** The project folder: the first one up from here holding package.json (tests run from test/ or dist/test/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export const SCHEMA_DIR = join(projectRoot(), 'docs', 'json');
const SUFFIX = '.schema.json';

/** Schema names ("dsg.status.v1") of every file in docs/json. */
export function schemaNames(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

// ajv is CommonJS: its class is the module's default export (types and runtime disagree under NodeNext).
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as unknown as typeof Ajv2020Module.default;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
for (const name of schemaNames()) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}${SUFFIX}`), 'utf8')), name);

/** Schemas some document of this process named and was checked against (for the no-orphan check). */
export const exercisedSchemas = new Set<string>();

/**
 * stdout is exactly one JSON document whose "schema" is `schema` (its first key) and which that
 * schema accepts. Returns the document.
 */
export function assertSchema(r: RunResult, schema: string, what = schema): any {
  let doc: any;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    assert.fail(`${what}: stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assert.equal(Object.keys(doc)[0], 'schema', `${what}: "schema" is not the first key`);
  assert.equal(doc.schema, schema, `${what}: stderr: ${r.stderr}`);
  const validate = ajv.getSchema(schema);
  assert.ok(validate, `no schema ${schema} in docs/json`);
  exercisedSchemas.add(schema);
  const valid = validate(doc);
  assert.ok(valid, `${what}: the document does not match ${schema}:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(doc, null, 2)}`);
  return doc;
}
