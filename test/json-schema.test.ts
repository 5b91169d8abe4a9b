import { readFileSync } from 'node:fs';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../model/json-schema';

describe('environment JSON Schema for editors', () => {
  test('the committed environments/environment.schema.json matches the zod schema (run `npm run schema`)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(renderJsonSchema());
  });

  test('rejects unknown keys at every level, as the loader does', () => {
    const schema = JSON.parse(renderJsonSchema()) as { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.province?.additionalProperties).toBe(false);
    expect(schema.properties.registry?.additionalProperties).toBe(false);
  });
});
