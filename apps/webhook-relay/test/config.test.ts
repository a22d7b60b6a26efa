// Boot-time configuration: every problem of the environment is reported in one error, not one per start.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { RelayError, RelayErrorCode } from '../src/errors.ts';
import { SECRET, tempDir, writeRoutes } from './helper.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('relay-config-');
  dirs.push(d);
  return d;
}

/** The RelayError loadConfig throws for `env`; fails the test when it returns. */
function problemsOf(env: Record<string, string>): { error: RelayError; lines: string[] } {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    const relayError = error as RelayError;
    expect(relayError.code).toBe(RelayErrorCode.InvalidConfig);
    const [first, ...lines] = relayError.message.split('\n');
    expect(first).toBe('invalid configuration:');
    return { error: relayError, lines: lines.map((l) => l.trim()) };
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('reports every bad variable at once, each with its name and what is wrong', () => {
    const { lines } = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      RELAY_MAX_PENDING: '0',
      RELAY_TRUST_PROXY: 'maybe',
      GITHUB_API_URL: 'not a url',
      GITHUB_HOOK_ID: 'my-hook',
      GITHUB_TOKEN: 'ghp_not-a-real-token',
      RELAY_ROUTES_FILE: '/nonexistent/routes.yaml',
    });
    const byName = (name: string) => lines.filter((l) => l.startsWith(`${name}: `));
    expect(byName('PORT')).toEqual([expect.stringMatching(/"eighty".*integer.*0.*65535/)]);
    expect(byName('LOG_LEVEL')).toEqual([expect.stringMatching(/"loud".*fatal.*silent/)]);
    expect(byName('RELAY_MAX_PENDING')).toEqual([expect.stringMatching(/"0".*1/)]);
    expect(byName('RELAY_TRUST_PROXY')).toEqual([expect.stringMatching(/"maybe".*true.*false/)]);
    expect(byName('GITHUB_API_URL')).toEqual([expect.stringMatching(/"not a url".*URL/)]);
    expect(byName('GITHUB_HOOK_ID')).toEqual([expect.stringMatching(/"my-hook".*numeric hook id/)]);
    // Cross-variable checks run too, though single variables are already wrong.
    expect(byName('GITHUB_WEBHOOK_SECRETS')).toEqual([expect.stringMatching(/GITHUB_WEBHOOK_SECRETS_FILE/)]);
    expect(byName('GITHUB_HOOK_REPO')).toEqual([expect.stringMatching(/exactly one of GITHUB_HOOK_REPO .* or GITHUB_HOOK_ORG/)]);
    // And so do the files the variables name.
    expect(byName('RELAY_ROUTES_FILE')).toEqual([expect.stringContaining('cannot read /nonexistent/routes.yaml')]);
    expect(lines).toHaveLength(9);
    // A secret's value is never echoed.
    expect(lines.join('\n')).not.toContain('ghp_not-a-real-token');
  });

  it('names a missing RELAY_ROUTES_FILE and the missing secrets in the same report', () => {
    const { lines } = problemsOf({});
    expect(lines).toEqual([
      expect.stringMatching(/^GITHUB_WEBHOOK_SECRETS: set GITHUB_WEBHOOK_SECRETS \(comma-separated\) or GITHUB_WEBHOOK_SECRETS_FILE$/),
      expect.stringMatching(/^RELAY_ROUTES_FILE: not set; it must name the routes file \(YAML\)$/),
    ]);
  });

  it('checks the routes file and what it names even when a variable is wrong', () => {
    const d = dir();
    const routesFile = writeRoutes(d, {
      routes: [
        {
          image: 'ghcr.io/acme/app',
          targets: [{ kargoWebhook: { url: 'https://kargo.example/github/abc', secretEnv: 'KARGO_RECEIVER_SECRET', caFile: join(d, 'missing-ca.crt') } }],
        },
      ],
    });
    const { lines } = problemsOf({
      PORT: '70000',
      RELAY_DRAIN_TIMEOUT_MS: 'soon',
      GITHUB_WEBHOOK_SECRETS_FILE: join(d, 'no-secrets-here'),
      RELAY_ROUTES_FILE: routesFile,
      RELAY_DATA_DIR: join(d, 'data'),
    });
    expect(lines).toEqual([
      expect.stringMatching(/^PORT: "70000" /),
      expect.stringMatching(/^RELAY_DRAIN_TIMEOUT_MS: "soon" /),
      expect.stringMatching(/^GITHUB_WEBHOOK_SECRETS_FILE: cannot read .*no-secrets-here/),
      expect.stringMatching(/^KARGO_RECEIVER_SECRET: the routes file names it as a receiver secret \(image ghcr\.io\/acme\/app\) but it is not set$/),
      expect.stringMatching(/^caFile .*missing-ca\.crt \(image ghcr\.io\/acme\/app\): cannot read it/),
    ]);
  });

  it('still accepts a good environment with its defaults', () => {
    const d = dir();
    const config = loadConfig({ GITHUB_WEBHOOK_SECRETS: `${SECRET}, old`, RELAY_ROUTES_FILE: writeRoutes(d, { routes: [{ image: 'ghcr.io/acme/app', targets: [{ log: {} }] }] }), RELAY_TRUST_PROXY: 'yes' });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'info', webhookSecrets: [SECRET, 'old'], trustProxy: true, maxPending: 10_000, sweeper: undefined });
    const sweeping = loadConfig({ GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: join(d, 'routes.yaml'), GITHUB_TOKEN: 't', GITHUB_HOOK_ORG: 'acme', GITHUB_HOOK_ID: '42', GITHUB_API_URL: 'https://ghe.example/api/v3/' });
    expect(sweeping.sweeper).toMatchObject({ token: 't', apiUrl: 'https://ghe.example/api/v3', hookPath: 'orgs/acme/hooks/42', lease: undefined });
    expect(sweeping.shutdownDelayMs).toBe(0);
  });

  it('the sweeper Lease: client-go timing defaults, the pod name as identity, and every rule between the variables', () => {
    const d = dir();
    const base = { GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: writeRoutes(d, { routes: [{ image: 'ghcr.io/acme/app', targets: [{ log: {} }] }] }) };
    const sweeper = { GITHUB_TOKEN: 't', GITHUB_HOOK_REPO: 'acme/app', GITHUB_HOOK_ID: '42' };
    const leased = loadConfig({ ...base, ...sweeper, RELAY_SWEEPER_LEASE_NAME: 'relay-sweeper', RELAY_SWEEPER_LEASE_NAMESPACE: 'kargo-ns', RELAY_SWEEPER_LEASE_IDENTITY: 'relay-1', RELAY_SHUTDOWN_DELAY_MS: '5000' });
    expect(leased.sweeper?.lease).toEqual({ name: 'relay-sweeper', namespace: 'kargo-ns', identity: 'relay-1', leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(leased.shutdownDelayMs).toBe(5_000);
    const { lines } = problemsOf({ ...base, RELAY_SWEEPER_LEASE_NAME: 'Relay_Sweeper', RELAY_SWEEPER_LEASE_NAMESPACE: 'kargo_ns', RELAY_SWEEPER_LEASE_DURATION_SECONDS: '10', RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS: '10000', RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS: '9000' });
    expect(lines).toEqual([
      expect.stringMatching(/^RELAY_SWEEPER_LEASE_NAME: "Relay_Sweeper" is not a Kubernetes object name/),
      'RELAY_SWEEPER_LEASE_NAME: only used by the sweeper, which GITHUB_TOKEN enables',
      expect.stringMatching(/^RELAY_SWEEPER_LEASE_NAMESPACE: "kargo_ns" is not a namespace name/),
      expect.stringMatching(/^RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS: 10000 is not less than RELAY_SWEEPER_LEASE_DURATION_SECONDS \(10 s\)/),
      expect.stringMatching(/^RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS: 9000 × 1\.2 is not less than RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS \(10000\)/),
    ]);
    expect(problemsOf({ ...base, ...sweeper, RELAY_SWEEPER_LEASE_NAME: 'relay-sweeper' }).lines).toEqual(['RELAY_SWEEPER_LEASE_NAMESPACE: RELAY_SWEEPER_LEASE_NAME needs the namespace of its Lease']);
  });
});
