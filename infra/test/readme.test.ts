// infra/README.md and the sample stack name only keys the program reads, and the Configuration table lists them all.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfraConfigSchema } from '../src/config.ts';

const INFRA = resolve(import.meta.dirname, '..');
const README = readFileSync(resolve(INFRA, 'README.md'), 'utf8');
const CONFIG_SOURCE = readFileSync(resolve(INFRA, 'src/config.ts'), 'utf8');
const PLAIN_KEYS = Object.keys(InfraConfigSchema.shape);
// Read apart from the schema, as secret Outputs (src/config.ts: cfg.getSecret / cfg.requireSecret).
const SECRET_KEYS = ['adminPassword', 'githubWebhookSecret', 'gitCredentials', 'relayGithubToken'];
const KEYS = new Set([...PLAIN_KEYS, ...SECRET_KEYS]);

/** The first cell of each row of the "Configuration" table: the keys it documents. */
function tableKeys(): string[] {
  const section = README.slice(README.indexOf('## Configuration ('), README.indexOf('\n## ', README.indexOf('## Configuration (') + 1));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...(row.split(' | ')[0] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!));
}

describe('infra/README.md', () => {
  it('the secret keys it names are the ones src/config.ts reads as secrets', () => {
    for (const key of SECRET_KEYS) expect(CONFIG_SOURCE, key).toMatch(new RegExp(`(get|require)Secret\\('${key}'\\)`));
  });

  it('every `pulumi config set` names a key the program reads, `--secret` exactly for the secret ones', () => {
    const commands = [...README.matchAll(/pulumi config set (--secret )?([A-Za-z]+)\b/g)].map((m) => ({ secret: m[1] !== undefined, key: m[2]! }));
    expect(commands.length).toBeGreaterThan(15);
    expect(commands.filter((c) => !KEYS.has(c.key)).map((c) => c.key)).toEqual([]);
    expect(commands.filter((c) => c.secret !== SECRET_KEYS.includes(c.key)).map((c) => `${c.secret ? '--secret ' : ''}${c.key}`)).toEqual([]);
  });

  it('the Configuration table documents every key, and only keys that exist', () => {
    const documented = tableKeys();
    expect(documented.filter((k) => !KEYS.has(k))).toEqual([]);
    expect([...KEYS].filter((k) => !documented.includes(k))).toEqual([]);
  });

  it('the sample stack (Pulumi.dev.yaml) sets or suggests only real keys', () => {
    const sample = readFileSync(resolve(INFRA, 'Pulumi.dev.yaml'), 'utf8');
    const keys = [...sample.matchAll(/^\s*#?\s*kargo-infra:([A-Za-z]+):/gm)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((k) => !KEYS.has(k))).toEqual([]);
  });
});
