// Writes schema/kargo-env.schema.json from the runtime schema; test/config-schema.test.ts fails when it drifts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipelineConfigJsonSchemaText } from '../src/config/json-schema.ts';

const target = resolve(import.meta.dirname, '../schema/kargo-env.schema.json');
mkdirSync(resolve(target, '..'), { recursive: true });
writeFileSync(target, pipelineConfigJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
