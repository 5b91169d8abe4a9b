/**
 * `npm run schema`: writes environments/environment.schema.json from the zod schema, so editors
 * complete and check environment files (each file points at it with "$schema"). A test keeps it current.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { environmentSchema } from '../model/environment-schema';

export const JSON_SCHEMA_PATH = join(__dirname, '..', 'environments', 'environment.schema.json');

export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'HSA DR toolkit environment (one province)' }, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(JSON_SCHEMA_PATH, renderJsonSchema());
  console.log(`wrote ${JSON_SCHEMA_PATH.slice(join(__dirname, '..').length + 1)}`);
}
