// Forwards a delivery to a Kargo GitHub webhook receiver, re-signed with the receiver's own secret.
import { Agent, request } from 'undici';
import { sign } from '../github.ts';
import { parseRetryAfter, resultForStatus, type ForwardJob, type ForwardResult } from './types.ts';

export interface KargoWebhookForwarderOptions {
  readonly timeoutMs: number;
  readonly secrets: ReadonlyMap<string, string>;
}

export class KargoWebhookForwarder {
  readonly #agent: Agent;
  readonly #options: KargoWebhookForwarderOptions;

  constructor(options: KargoWebhookForwarderOptions) {
    this.#options = options;
    this.#agent = new Agent({ connect: { timeout: options.timeoutMs }, keepAliveTimeout: 10_000, connections: 32 });
  }

  async forward(target: { url: string; secretEnv: string }, job: ForwardJob): Promise<ForwardResult> {
    const secret = this.#options.secrets.get(target.secretEnv);
    if (secret === undefined) return { kind: 'failed', error: `secret env ${target.secretEnv} was not set at boot` };
    const body = Buffer.from(job.payload, 'utf8');
    try {
      const res = await request(target.url, {
        method: 'POST',
        dispatcher: this.#agent,
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
      // Read (and bound) the answer so the keep-alive connection can be reused.
      const text = (await res.body.text()).slice(0, 200);
      const result = resultForStatus(res.statusCode, 'Kargo receiver', parseRetryAfter(res.headers['retry-after'], Date.now()));
      return result.kind === 'done' ? result : { ...result, error: `${result.error}: ${text}` };
    } catch (cause) {
      const err = cause as Error & { code?: string };
      return { kind: 'retry', error: `Kargo receiver unreachable: ${err.code ?? err.name}: ${err.message}` };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Aborts requests still running (shutdown past its deadline; their jobs stay pending). */
  async destroy(): Promise<void> {
    await this.#agent.destroy();
  }
}
