/**
 * `npm run schema`: writes environments/environment.schema.json from the zod schema (model/json-schema.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../model/json-schema';

writeFileSync(JSON_SCHEMA_PATH, renderJsonSchema());
console.log(`wrote ${JSON_SCHEMA_PATH.slice(join(__dirname, '..').length + 1)}`);
