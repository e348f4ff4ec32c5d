/** `npm run config-schema`: writes config.schema.json, the JSON Schema of LLM_CONFIG_FILE, from the zod schema in src/config.ts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../config';

export const SCHEMA_FILE = join(__dirname, '..', '..', 'config.schema.json');

export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`config-schema: wrote ${SCHEMA_FILE}\n`);
}
