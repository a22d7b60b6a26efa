// A small Kubernetes API client over node:http/https: get, list (also metadata-only), create, the service proxy
// and the watch API (`?watch=1`, one JSON event per line). Every request is bounded in time; a transport failure
// is a ClusterUnreachable (exit 2), an API error is a KubeApiError carrying the Status object the server sent.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, CliErrorCode } from '../errors.ts';
import type { KubeConnection } from './kubeconfig.ts';

/** A Kubernetes object as JSON; the fields the CLI reads are narrowed where they are read. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly [key: string]: unknown;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly uid?: string;
  readonly [key: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  readonly metadata: { readonly resourceVersion?: string };
  readonly items: readonly T[];
}

/** The `Status` object the API server answers errors with. */
export interface KubeStatus {
  readonly kind?: 'Status';
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string; readonly causes?: readonly { readonly message?: string; readonly field?: string }[] };
}

/** An API error (4xx/5xx) with the server's own Status. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly apiStatus: KubeStatus | undefined;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, status: number, apiStatus: KubeStatus | undefined, body: string) {
    super(apiStatus?.message ?? `${method} ${path}: HTTP ${status}${body === '' ? '' : `: ${body.slice(0, 200)}`}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = apiStatus?.reason;
    this.apiStatus = apiStatus;
    this.method = method;
    this.path = path;
  }
}

export const isForbidden = (error: unknown): error is KubeApiError => error instanceof KubeApiError && error.status === 403;
export const isNotFound = (error: unknown): error is KubeApiError => error instanceof KubeApiError && error.status === 404;

/** A resource's REST path: `/api/v1/...` for the core group, `/apis/<group>/<version>/...` otherwise. */
export function resourcePath(r: { readonly group: string; readonly version: string; readonly plural: string; readonly namespace?: string | undefined; readonly name?: string | undefined }): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(r.namespace)}`;
  const name = r.name === undefined ? '' : `/${encodeURIComponent(r.name)}`;
  return `${base}${ns}/${r.plural}${name}`;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface WatchOptions extends ListOptions {
  /** Start after this resourceVersion (from a list or get): only changes are sent. */
  readonly resourceVersion?: string;
  /** Server-side end of this watch call; the caller re-watches from the last resourceVersion. */
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

/** How one watch call ended. */
export type WatchEnd =
  | { readonly kind: 'stopped'; readonly resourceVersion: string | undefined }
  | { readonly kind: 'closed'; readonly resourceVersion: string | undefined }
  | { readonly kind: 'aborted'; readonly resourceVersion: string | undefined }
  /** 410 Gone: the resourceVersion is too old; list again. */
  | { readonly kind: 'gone'; readonly resourceVersion: string | undefined };

export interface KubeClientOptions {
  /** Per request: connecting plus the whole answer (not watches). @default 3000 */
  readonly timeoutMs?: number;
}

/** Accept header of the API server's metadata-only representation (no `data` of Secrets ever leaves the server). */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

function query(params: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

export class KubeClient {
  readonly connection: KubeConnection;
  readonly timeoutMs: number;

  constructor(connection: KubeConnection, options: KubeClientOptions = {}) {
    this.connection = connection;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  #unreachable(detail: string, cause?: unknown): CliError {
    const c = this.connection;
    return new CliError(CliErrorCode.ClusterUnreachable, `cannot reach the cluster ${c.cluster} at ${c.server} (context ${c.context}): ${detail}`, {
      hint: 'check the cluster is up and the kubeconfig points at it (`kubectl --context ' + c.context + ' get --raw /version`); choose another with --context',
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** Opens a request; resolves with the response once headers arrive. */
  #open(method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(this.connection.server + path);
    const https = url.protocol === 'https:';
    const options = {
      method,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname + url.search,
      headers: { ...this.connection.headers, 'User-Agent': 'kargo-env', ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }) },
      ...(https ? this.connection.tls : {}),
      ...(signal === undefined ? {} : { signal }),
    };
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(options, resolve);
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs);
        req.on('response', (res) => res.on('close', () => clearTimeout(timer)));
      }
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.name === 'AbortError') reject(error);
        else reject(this.#unreachable(error.code === 'ETIMEDOUT' ? error.message : `${error.code ?? error.name}: ${error.message}`, error));
      });
      req.end(body);
    });
  }

  async #read(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One request with a JSON answer; 4xx/5xx become KubeApiError with the server's Status. */
  async request<T>(method: string, path: string, options: { readonly body?: unknown; readonly accept?: string } = {}): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let text: string;
    let res: IncomingMessage;
    try {
      res = await this.#open(method, path, { Accept: options.accept ?? 'application/json' }, body, this.timeoutMs);
      text = await this.#read(res);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw this.#unreachable((error as Error).message, error);
    }
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      let apiStatus: KubeStatus | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && (parsed as KubeStatus).kind === 'Status') apiStatus = parsed;
      } catch {
        // a proxy's HTML error page: keep the text
      }
      throw new KubeApiError(method, path, status, apiStatus, apiStatus === undefined ? text : '');
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw this.#unreachable(`${method} ${path} answered HTTP ${status} with something other than JSON (is this a Kubernetes API server?)`, error);
    }
  }

  get<T extends KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** The object, or undefined on 404. */
  async find<T extends KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  list<T extends KubeObject>(path: string, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path + query({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector }));
  }

  /** Metadata only (PartialObjectMetadataList): how `doctor` looks at Secrets without reading their data. */
  listMetadata(path: string, options: ListOptions = {}): Promise<KubeList> {
    return this.request<KubeList>('GET', path + query({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector }), { accept: METADATA_LIST });
  }

  /** One object's metadata only, or undefined on 404. */
  async findMetadata(path: string): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>('GET', path, { accept: METADATA_ONE });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  create<T extends KubeObject>(path: string, body: KubeObject): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** A plain GET whose body is text (the service proxy: `/readyz`, `/metrics`); the HTTP status is returned, not thrown. */
  async text(path: string): Promise<{ status: number; body: string }> {
    let res: IncomingMessage;
    try {
      res = await this.#open('GET', path, { Accept: 'text/plain, application/json, */*' }, undefined, this.timeoutMs);
      return { status: res.statusCode ?? 0, body: await this.#read(res) };
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw this.#unreachable((error as Error).message, error);
    }
  }

  /**
   * One watch call: events from `resourceVersion` on, each handed to `onEvent` until it returns true (stopped),
   * the server ends the call (closed), the signal fires (aborted) or the server answers 410 Gone.
   */
  async watch<T extends KubeObject>(path: string, options: WatchOptions, onEvent: (event: WatchEvent<T>) => boolean | Promise<boolean>): Promise<WatchEnd> {
    const q = query({
      watch: 1,
      allowWatchBookmarks: true,
      resourceVersion: options.resourceVersion,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      timeoutSeconds: options.timeoutSeconds ?? 300,
    });
    let rv = options.resourceVersion;
    if (options.signal?.aborted === true) return { kind: 'aborted', resourceVersion: rv };
    let res: IncomingMessage;
    try {
      // Only the connection and the headers are bounded by the request timeout; the stream may stay quiet.
      res = await Promise.race([
        this.#open('GET', path + q, { Accept: 'application/json' }, undefined, undefined, options.signal),
        new Promise<never>((_, reject) => setTimeout(() => reject(this.#unreachable(`watch ${path}: no answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs).unref()),
      ]);
    } catch (error) {
      if ((error as Error).name === 'AbortError') return { kind: 'aborted', resourceVersion: rv };
      throw error;
    }
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const text = await this.#read(res);
      let apiStatus: KubeStatus | undefined;
      try {
        apiStatus = JSON.parse(text) as KubeStatus;
      } catch {
        apiStatus = undefined;
      }
      if (status === 410) return { kind: 'gone', resourceVersion: rv };
      throw new KubeApiError('GET', path + q, status, apiStatus, text);
    }
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line === '') continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const st = event.object as unknown as KubeStatus;
            res.destroy();
            if (st.code === 410) return { kind: 'gone', resourceVersion: rv };
            throw new KubeApiError('GET', path + q, st.code ?? 500, st, '');
          }
          rv = event.object.metadata.resourceVersion ?? rv;
          if (event.type === 'BOOKMARK') continue;
          if (await onEvent(event)) {
            res.destroy();
            return { kind: 'stopped', resourceVersion: rv };
          }
        }
      }
    } catch (error) {
      if ((error as Error).name === 'AbortError' || isAborted(options.signal)) return { kind: 'aborted', resourceVersion: rv };
      if (error instanceof KubeApiError || error instanceof SyntaxError) throw error;
      throw this.#unreachable(`watch ${path}: ${(error as Error).message}`, error);
    }
    return isAborted(options.signal) ? { kind: 'aborted', resourceVersion: rv } : { kind: 'closed', resourceVersion: rv };
  }
}

/** Read through a function: TypeScript narrows `signal.aborted` after the first check and forgets it can change. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** Fast first contact: `/version` within the client's timeout; an unreachable cluster fails here (exit 2). */
export async function serverVersion(client: KubeClient): Promise<{ gitVersion: string }> {
  try {
    return await client.request<{ gitVersion: string }>('GET', '/version');
  } catch (error) {
    // An API server always answers /version (anonymously too, unless anonymous auth is off: then 401/403).
    if (error instanceof KubeApiError && (error.status === 401 || error.status === 403)) {
      if (error.status === 401) {
        throw new CliError(CliErrorCode.ClusterUnreachable, `the cluster at ${client.connection.server} refused the credentials of context ${client.connection.context} (401 Unauthorized)`, {
          hint: 'your token or certificate has expired or is wrong; log in again (e.g. refresh the cloud CLI credentials) and retry',
        });
      }
      return { gitVersion: 'unknown' };
    }
    throw error;
  }
}
