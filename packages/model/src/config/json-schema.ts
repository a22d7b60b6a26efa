// The JSON Schema of kargo-env.yaml, generated from the runtime input schema (editors validate and complete with it).
import { z } from 'zod';
import { PIPELINE_CONFIG_SCHEMA_ID } from './constants.ts';
import { PipelineConfigInputSchema } from './schema.ts';

/** The config's JSON Schema (draft 2020-12) as an object. */
export function pipelineConfigJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(PipelineConfigInputSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: PIPELINE_CONFIG_SCHEMA_ID,
    title: 'kargo-env pipeline config (kargo-env.yaml)',
    ...rest,
  };
}

/** The exact text of schema/kargo-env.schema.json: 2-space JSON and a final newline. */
export function pipelineConfigJsonSchemaText(): string {
  return `${JSON.stringify(pipelineConfigJsonSchema(), null, 2)}\n`;
}
