// The pipeline config's relay block: the target choice, the kargoWebhook defaults and the rules between them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_KARGO_RECEIVER_SECRET_ENV,
  DEFAULT_KARGO_WEBHOOKS_BASE_URL,
  DEFAULT_KARGO_WEBHOOKS_CA_FILE,
  PipelineConfigSchema,
  parsePipelineConfig,
  pipelineConfigJsonSchema,
  type Issue,
  type PipelineConfig,
} from '../src/index.ts';
import { HEADER, positionOf } from './config-helpers.ts';

const PIPELINE = `pipelines:
  - app: web
    image: { repository: ghcr.io/acme/web }
    git: { repoURL: https://github.com/acme/web.git }
`;
const withRelay = (relay: string): string => `${HEADER}relay:\n${relay}${PIPELINE}`;

function relayOf(text: string): PipelineConfig['relay'] {
  const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  expect(result.warnings).toEqual([]);
  return result.value.relay;
}

function errorsOf(text: string): readonly Issue[] {
  const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
  expect(result.ok, 'the config should be rejected').toBe(false);
  return result.ok ? [] : result.errors;
}

describe('relay.target', () => {
  it('defaults to kubernetes (the Warehouse annotation), with the kargoWebhook block filled in for a later switch', () => {
    expect(relayOf(withRelay('  enabled: true\n'))).toEqual({
      enabled: true,
      receiverName: 'ghcr',
      secretName: 'kargo-ghcr-webhook',
      target: 'kubernetes',
      kargoWebhook: { baseURL: DEFAULT_KARGO_WEBHOOKS_BASE_URL, caFile: DEFAULT_KARGO_WEBHOOKS_CA_FILE, secretEnv: DEFAULT_KARGO_RECEIVER_SECRET_ENV },
    });
    // The documented defaults: kargo-infra's namespace, its CA mount, the relay's variable.
    expect([DEFAULT_KARGO_WEBHOOKS_BASE_URL, DEFAULT_KARGO_WEBHOOKS_CA_FILE, DEFAULT_KARGO_RECEIVER_SECRET_ENV]).toEqual([
      'https://kargo-external-webhooks-server.kargo-ns.svc',
      '/etc/kargo-webhooks-ca/ca.crt',
      'KARGO_RECEIVER_SECRET',
    ]);
  });

  it('kargoWebhook alone takes every receiver default', () => {
    const relay = relayOf(withRelay('  enabled: true\n  target: kargoWebhook\n'));
    expect(relay.target).toBe('kargoWebhook');
    expect(relay.kargoWebhook).toEqual({ baseURL: 'https://kargo-external-webhooks-server.kargo-ns.svc', caFile: '/etc/kargo-webhooks-ca/ca.crt', secretEnv: 'KARGO_RECEIVER_SECRET' });
  });

  it('an http baseURL (Kargo without TLS) gets no CA file; null opts out of it over https', () => {
    const http = relayOf(withRelay('  enabled: true\n  target: kargoWebhook\n  kargoWebhook: { baseURL: http://kargo-external-webhooks-server.kargo.svc }\n'));
    expect(http.kargoWebhook).toEqual({ baseURL: 'http://kargo-external-webhooks-server.kargo.svc', secretEnv: 'KARGO_RECEIVER_SECRET' });
    const publicCert = relayOf(withRelay('  target: kargoWebhook\n  kargoWebhook: { baseURL: https://kargo.example.com/hooks, caFile: null, secretEnv: HOOK_SECRET }\n'));
    expect(publicCert.kargoWebhook).toEqual({ baseURL: 'https://kargo.example.com/hooks', secretEnv: 'HOOK_SECRET' });
    const custom = relayOf(withRelay('  target: kargoWebhook\n  kargoWebhook: { caFile: /run/ca/bundle.pem }\n'));
    expect(custom.kargoWebhook.caFile).toBe('/run/ca/bundle.pem');
  });

  it('the resolved relay passes the resolved schema (strict: no stray keys)', () => {
    const text = withRelay('  enabled: true\n  target: kargoWebhook\n');
    const result = parsePipelineConfig(text);
    if (!result.ok) throw new Error('config rejected');
    expect(PipelineConfigSchema.safeParse(result.value).success).toBe(true);
    expect(PipelineConfigSchema.safeParse({ ...result.value, relay: { ...result.value.relay, kargoWebhook: { ...result.value.relay.kargoWebhook, url: 'x' } } }).success).toBe(false);
  });

  it.each([
    ['an unknown target', '  target: warehouse\n', 'relay.target', 'warehouse'],
    ['a baseURL that is not http(s)', '  kargoWebhook: { baseURL: ftp://kargo }\n', 'relay.kargoWebhook.baseURL', 'ftp://kargo'],
    ['a baseURL with a query', '  kargoWebhook: { baseURL: "https://kargo.svc/?x=1" }\n', 'relay.kargoWebhook.baseURL', '"https://kargo.svc/?x=1"'],
    ['a relative caFile', '  kargoWebhook: { caFile: ca.crt }\n', 'relay.kargoWebhook.caFile', 'ca.crt'],
    ['a caFile that is a directory', '  kargoWebhook: { caFile: /etc/ca/ }\n', 'relay.kargoWebhook.caFile', '/etc/ca/'],
    ['a secretEnv that is no variable name', '  kargoWebhook: { secretEnv: KARGO-SECRET }\n', 'relay.kargoWebhook.secretEnv', 'KARGO-SECRET'],
    ['a secretEnv the relay reads itself', '  kargoWebhook: { secretEnv: RELAY_ADMIN_TOKEN }\n', 'relay.kargoWebhook.secretEnv', 'RELAY_ADMIN_TOKEN'],
    ['an unknown key (a full receiver URL derives from the secret, so the config cannot hold one)', '  kargoWebhook: { url: https://kargo.svc/github/abc }\n', 'relay.kargoWebhook.url', 'url:'],
  ])('rejects %s where it is written', (_what, relay, path, needle) => {
    const text = withRelay(`  enabled: true\n${relay}`);
    const [issue, ...rest] = errorsOf(text);
    expect(rest).toEqual([]);
    expect(issue?.path).toBe(path);
    expect({ line: issue?.line, column: issue?.column }).toEqual(positionOf(text, needle));
  });

  it('a caFile with an http baseURL is an error (nobody would mount it and the relay would not start)', () => {
    const text = withRelay('  enabled: true\n  target: kargoWebhook\n  kargoWebhook: { baseURL: http://kargo.svc, caFile: /etc/ca/ca.crt }\n');
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.path])).toEqual([['relay-ca-file-without-tls', 'relay.kargoWebhook.caFile']]);
    expect(errors[0]?.message).toContain('https');
  });

  it('the JSON Schema documents the choice and validates like the parser', () => {
    const schema = pipelineConfigJsonSchema() as { properties: { relay: { properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }> } } };
    const relay = schema.properties.relay.properties;
    // Why one or the other: RBAC on Warehouses vs the receiver secret (and Kargo's own tag filtering).
    expect(relay.target?.description).toMatch(/RBAC/);
    expect(relay.target?.description).toMatch(/secret/);
    expect(relay.target?.description).toMatch(/tag filtering/);
    for (const key of ['baseURL', 'caFile', 'secretEnv']) expect(relay.kargoWebhook?.properties?.[key]?.description, key).toBeTruthy();
    expect(relay.kargoWebhook?.properties?.baseURL?.description).toContain('kargo-ns');
    const validate = new Ajv2020({ strict: true }).compile(pipelineConfigJsonSchema());
    const good = parse(withRelay('  enabled: true\n  target: kargoWebhook\n  kargoWebhook: { baseURL: https://k.svc/base, caFile: null, secretEnv: S }\n')) as unknown;
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    for (const bad of ['  target: both\n', '  kargoWebhook: { baseURL: ftp://k }\n', '  kargoWebhook: { caFile: ca.crt }\n', '  kargoWebhook: { extra: 1 }\n']) {
      expect(validate(parse(withRelay(bad))), bad).toBe(false);
    }
  });
});
