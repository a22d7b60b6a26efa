// The admin API as the dashboard uses it: every request carries the token in the Authorization header (never in a
// URL), and live updates are Server-Sent Events read with fetch() — EventSource cannot send that header.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Longest wait for an ordinary API answer. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Longest server-sent event the dashboard accepts (a summary is a few kB). */
const MAX_EVENT_CHARS = 1_000_000;

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  let code;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') message = `${body.error} (${response.status})`;
    code = body?.code;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, message, code);
}

export class AdminApi {
  #token;

  constructor(token) {
    this.#token = token;
  }

  #headers(extra = {}) {
    return { authorization: `Bearer ${this.#token}`, accept: 'application/json', ...extra };
  }

  async #request(method, path, { query, body } = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value));
    const url = params.toString() !== '' ? `${path}?${params}` : path;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: this.#headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        signal: controller.signal,
      });
    } catch (error) {
      throw new ApiError(0, controller.signal.aborted ? `the relay did not answer within ${REQUEST_TIMEOUT_MS / 1000} s` : `cannot reach the relay: ${error.message}`);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await failure(response);
    return response.json();
  }

  summary() {
    return this.#request('GET', '/admin/api/summary');
  }

  deliveries(filter) {
    return this.#request('GET', '/deliveries', { query: filter });
  }

  delivery(id) {
    return this.#request('GET', `/deliveries/${encodeURIComponent(id)}`);
  }

  replay(id) {
    return this.#request('POST', `/deliveries/${encodeURIComponent(id)}/replay`);
  }

  /** Every failed delivery the filter matches (at most 1000 per call). */
  replayFailed(filter) {
    const body = { status: 'failed' };
    for (const key of ['image', 'since', 'until']) if (filter[key]) body[key] = filter[key];
    return this.#request('POST', '/deliveries/replay', { body });
  }

  /**
   * Reads the event stream until it ends or `signal` aborts, calling `onEvent({ event, data })` per event. Resolves
   * when the server ends the stream; rejects with an ApiError when it refuses it (401, 503, …).
   */
  async stream(signal, onEvent) {
    let response;
    try {
      response = await fetch('/admin/api/events', { headers: this.#headers({ accept: 'text/event-stream' }), cache: 'no-store', credentials: 'omit', signal });
    } catch (error) {
      if (signal.aborted) return;
      throw new ApiError(0, `cannot reach the relay: ${error.message}`);
    }
    if (!response.ok) throw await failure(response);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = text;
            else if (field === 'data') data.push(text);
          }
          if (data.length > 0) onEvent({ event, data: JSON.parse(data.join('\n')) });
        }
        if (buffer.length > MAX_EVENT_CHARS) throw new ApiError(0, 'the event stream sent an event larger than the dashboard accepts');
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error instanceof ApiError ? error : new ApiError(0, `the event stream broke: ${error.message}`);
    } finally {
      reader.releaseLock();
    }
  }
}
