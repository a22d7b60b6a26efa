// Runs the Pulumi program under pulumi.runtime.setMocks and records every registration the engine would see.
import { createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { vi } from 'vitest';

/**
 * Engine payloads are untyped JSON; assertions navigate them freely and fail loudly when a path is missing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** The marker Pulumi's wire format puts on a secret value. */
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const SIG_KEY = '4dabf18193072939515e22adb298388d';

export interface Registration {
  readonly type: string;
  readonly name: string;
  /** URN of the parent ('' for a top-level resource). */
  readonly parentUrn: string;
  readonly custom: boolean;
  /** Provider reference (`urn::id`), '' for the default provider. */
  readonly provider: string;
  /** Inputs as sent on the wire (secrets still wrapped). */
  readonly wire: Record<string, unknown>;
  /** URNs this registration depends on explicitly or through inputs. */
  readonly dependencies: readonly string[];
  /** Inputs after deserialisation (secrets unwrapped), as the mock provider sees them. */
  inputs: Record<string, unknown>;
}

/** A read of an existing object (`Resource.get`): what the program asked for and what the mock answered. */
export interface Read {
  readonly type: string;
  readonly name: string;
  readonly id: string;
  readonly parentUrn: string;
  readonly dependencies: readonly string[];
}

export interface ProgramRun {
  readonly resources: Registration[];
  readonly reads: Read[];
  readonly outputs: Record<string, unknown>;
  readonly secretOutputs: Set<string>;
  /** Messages the program logged with pulumi.log.warn. */
  readonly warnings: string[];
  find(type: string, name: string): Registration;
  urnOf(r: Registration): string;
}

interface WireReadRequest {
  getType(): string;
  getName(): string;
  getId(): string;
  getParent(): string;
  getDependenciesList(): string[];
}

/** The PEM the mock cluster's cert-manager issued to Kargo's external webhooks server (a public CA, test only). */
export const MOCK_KARGO_CA = '-----BEGIN CERTIFICATE-----\nMIIBmockKargoWebhooksCA\n-----END CERTIFICATE-----\n';
/** That Secret's private key: must never leave it. */
export const MOCK_KARGO_TLS_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEmockKargoWebhooksKey\n-----END PRIVATE KEY-----\n';

/** Objects that exist in the mock cluster before the program runs, by type and `namespace/name`. */
export type ExistingObjects = Record<string, Record<string, Record<string, unknown>>>;

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Argo CD's Application CRD as the mock cluster serves it (the prerequisite the program checks). */
export const MOCK_ARGOCD_APPLICATIONS_CRD = {
  spec: { group: 'argoproj.io', names: { kind: 'Application', plural: 'applications' }, scope: 'Namespaced', versions: [{ name: 'v1alpha1', served: true, storage: true }] },
};

/**
 * What the mock cluster holds by default: Argo CD's Application CRD and the certificate Secret cert-manager writes
 * for Kargo's webhooks server.
 */
export function defaultExisting(namespace = 'kargo-ns'): ExistingObjects {
  return {
    'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition': { 'applications.argoproj.io': MOCK_ARGOCD_APPLICATIONS_CRD },
    'kubernetes:core/v1:Secret': {
      [`${namespace}/kargo-external-webhooks-server-cert`]: {
        type: 'kubernetes.io/tls',
        data: { 'ca.crt': b64(MOCK_KARGO_CA), 'tls.crt': b64(MOCK_KARGO_CA), 'tls.key': b64(MOCK_KARGO_TLS_KEY) },
      },
    },
  };
}

interface WireRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** Values the mock provider "generates", derived from the resource name so tests can look for them. */
export function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const digest = createHash('sha256').update(name).digest('hex');
  switch (type) {
    case 'random:index/randomPassword:RandomPassword':
      return { ...inputs, result: `PLAIN${digest.slice(0, 27)}`, bcryptHash: `$2a$10$HASH${digest.slice(0, 49)}` };
    case 'random:index/randomString:RandomString':
      return { ...inputs, result: 'abcdefghijklmnopqrstuv' };
    case 'random:index/randomBytes:RandomBytes':
      return { ...inputs, hex: digest, base64: Buffer.from(digest, 'hex').toString('base64') };
    default:
      return inputs;
  }
}

/**
 * Sets mocks and config FIRST, then imports a fresh copy of the program (vi.resetModules), waits for
 * every registration and resolves the stack outputs. Config keys are given without the project prefix.
 */
export async function runProgram(
  config: Record<string, string | boolean | object> = {},
  secretKeys: readonly string[] = [],
  existing: ExistingObjects = defaultExisting(),
): Promise<ProgramRun> {
  vi.resetModules();
  const resources: Registration[] = [];
  const reads: Read[] = [];
  const byName = new Map<string, Registration>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        if (args.id !== undefined && args.id !== '') {
          // A read (`Resource.get`): answer from the mock cluster, like the provider would, or fail as it would.
          const found = existing[args.type]?.[args.id];
          if (found === undefined) throw new Error(`${args.type} ${args.id} not found`);
          const [ns, objectName] = args.id.includes('/') ? args.id.split('/') : [undefined, args.id];
          return { id: args.id, state: { ...found, metadata: { name: objectName, ...(ns === undefined ? {} : { namespace: ns }) } } };
        }
        const reg = byName.get(`${args.type}::${args.name}`);
        if (reg !== undefined) reg.inputs = unwrapSecrets(inputs) as Record<string, unknown>;
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs) };
      },
      call(args) {
        throw new Error(`unexpected provider call ${args.token}`);
      },
    },
    'kargo-infra',
    'test',
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: WireRequest, cb: unknown): unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const reg: Registration = {
      type: req.getType(),
      name: req.getName(),
      parentUrn: req.getParent(),
      custom: req.getCustom(),
      provider: req.getProvider(),
      wire: req.getObject()?.toJavaScript() ?? {},
      dependencies: req.getDependenciesList(),
      inputs: {},
    };
    resources.push(reg);
    byName.set(`${reg.type}::${reg.name}`, reg);
    return original(req, cb);
  };
  const originalRead = (monitor as unknown as { readResource(req: WireReadRequest, cb: unknown): unknown }).readResource.bind(monitor);
  (monitor as unknown as { readResource(req: WireReadRequest, cb: unknown): unknown }).readResource = (req, cb) => {
    reads.push({ type: req.getType(), name: req.getName(), id: req.getId(), parentUrn: req.getParent(), dependencies: req.getDependenciesList() });
    return originalRead(req, cb);
  };
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) all[`kargo-infra:${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(all, secretKeys.map((k) => `kargo-infra:${k}`));

  const warnings: string[] = [];
  const warn = vi.spyOn(pulumi.log, 'warn').mockImplementation((msg: string) => {
    warnings.push(msg);
    return Promise.resolve();
  });
  let program: Record<string, unknown>;
  try {
    program = await import('../index.ts');
  } finally {
    warn.mockRestore();
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [k, v] of Object.entries(program)) {
    if (pulumi.Output.isInstance(v)) {
      const out = v;
      outputs[k] = await new Promise((resolve) => out.apply((x) => resolve(x)));
      if (await (out as unknown as { isSecret: Promise<boolean> }).isSecret) secretOutputs.add(k);
    } else outputs[k] = v;
  }
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  const urnOf = (r: Registration): string => {
    const parentType = r.parentUrn === '' ? undefined : r.parentUrn.split('::')[2]?.split('$').pop();
    return `urn:pulumi:test::kargo-infra::${parentType === undefined ? '' : `${parentType}$`}${r.type}::${r.name}`;
  };
  return {
    resources,
    reads,
    outputs,
    secretOutputs,
    warnings,
    urnOf,
    find(type, name) {
      const r = byName.get(`${type}::${name}`);
      if (r === undefined) throw new Error(`no ${type} named ${name}; registered: ${resources.map((x) => `${x.type}::${x.name}`).join(', ')}`);
      return r;
    },
  };
}

/** Whether a wire value is wrapped as a secret. */
export function isSecretWire(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Every string in a wire object that is NOT inside a secret wrapper. */
export function plainStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) plainStrings(v, out);
  else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return out;
    for (const v of Object.values(obj)) plainStrings(v, out);
  }
  return out;
}

/** The same value with every secret wrapper replaced by the value it wraps. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** The parent's name, taken from its URN ('' for none). */
export function parentName(r: { readonly parentUrn: string }): string {
  return r.parentUrn === '' ? '' : (r.parentUrn.split('::').pop() ?? '');
}
