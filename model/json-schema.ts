/**
 * The environment file's JSON Schema, from the zod schema, so editors complete and check environment
 * files (each file points at it with "$schema"). `npm run schema` writes it; a test keeps it current.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { environmentSchema } from './environment-schema';

export const JSON_SCHEMA_PATH = join(__dirname, '..', 'environments', 'environment.schema.json');

export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'HSA DR toolkit environment (one province)' }, null, 2)}\n`;
}
