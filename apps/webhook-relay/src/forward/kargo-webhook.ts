// Forwards a delivery to a Kargo GitHub webhook receiver, re-signed with the receiver's own secret.
import { readFileSync } from 'node:fs';
import { kargoReceiverUrl, type KargoWebhookTarget } from '@kargo/model/relay';
import { Agent, request } from 'undici';
import { sign } from '../github.ts';
import { BODY_EXCERPT_CHARS, redactText } from './redact.ts';
import { parseRetryAfter, resultForStatus, type ForwardJob, type ForwardResult } from './types.ts';

export interface KargoWebhookForwarderOptions {
  readonly timeoutMs: number;
  readonly secrets: ReadonlyMap<string, string>;
  /** PEM bundles by `caFile`, read at boot; a file a later routes change names is read on first use. */
  readonly caBundles?: ReadonlyMap<string, string>;
}

/** Where to POST: the target's URL, or the one Kargo computes from project, receiver and the secret. */
export function receiverUrl(target: KargoWebhookTarget['kargoWebhook'], secret: string): string {
  return 'url' in target ? target.url : kargoReceiverUrl({ baseURL: target.baseURL, project: target.project, receiver: target.receiver, secret });
}

export class KargoWebhookForwarder {
  readonly #agent: Agent;
  /** One connection pool per CA bundle, so a receiver's private CA is trusted for that receiver only. */
  readonly #caAgents = new Map<string, Agent>();
  readonly #options: KargoWebhookForwarderOptions;

  constructor(options: KargoWebhookForwarderOptions) {
    this.#options = options;
    this.#agent = this.#newAgent(undefined);
  }

  #newAgent(ca: string | undefined): Agent {
    return new Agent({ connect: { timeout: this.#options.timeoutMs, ...(ca === undefined ? {} : { ca }) }, keepAliveTimeout: 10_000, connections: 32 });
  }

  #agentFor(caFile: string | undefined): Agent {
    if (caFile === undefined) return this.#agent;
    let agent = this.#caAgents.get(caFile);
    if (agent === undefined) {
      agent = this.#newAgent(this.#options.caBundles?.get(caFile) ?? readFileSync(caFile, 'utf8'));
      this.#caAgents.set(caFile, agent);
    }
    return agent;
  }

  async forward(target: KargoWebhookTarget['kargoWebhook'], job: ForwardJob): Promise<ForwardResult> {
    const secret = this.#options.secrets.get(target.secretEnv);
    if (secret === undefined) return { kind: 'failed', error: `secret env ${target.secretEnv} was not set at boot` };
    const body = job.payload;
    let dispatcher: Agent;
    try {
      dispatcher = this.#agentFor(target.caFile);
    } catch (cause) {
      return { kind: 'retry', error: `cannot read caFile ${target.caFile ?? ''}: ${(cause as Error).message}` };
    }
    try {
      const res = await request(receiverUrl(target, secret), {
        method: 'POST',
        dispatcher,
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': job.event,
          'x-github-delivery': job.deliveryId,
          'x-hub-signature-256': sign(secret, body),
          'user-agent': 'kargo-webhook-relay',
        },
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      // Read the answer so the keep-alive connection can be reused; keep only a masked excerpt of it: it is stored,
      // logged and shown to admins, and a receiver (or a proxy before it) may echo URLs or credentials.
      const text = (await res.body.text()).slice(0, 4 * BODY_EXCERPT_CHARS);
      const result = resultForStatus(res.statusCode, 'Kargo receiver', parseRetryAfter(res.headers['retry-after'], Date.now()));
      return result.kind === 'done' ? result : { ...result, error: `${result.error}: ${redactText(text, BODY_EXCERPT_CHARS)}` };
    } catch (cause) {
      const err = cause as Error & { code?: string };
      return { kind: 'retry', error: `Kargo receiver unreachable: ${err.code ?? err.name}: ${redactText(err.message)}` };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent, ...this.#caAgents.values()].map((a) => a.close()));
  }

  /** Aborts requests still running (shutdown past its deadline; their jobs stay pending). */
  async destroy(): Promise<void> {
    await Promise.all([this.#agent, ...this.#caAgents.values()].map((a) => a.destroy()));
  }
}
