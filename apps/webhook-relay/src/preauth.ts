// What a client without the webhook secret can hold of the relay, bounded by design: a global budget of requests
// not yet authenticated (their declared body bytes and their number), per-connection header and body deadlines
// enforced by timers of our own, and a body reader that holds one buffer of exactly the declared length.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { RelayError, RelayErrorCode } from './errors.ts';

/**
 * In-flight unauthenticated requests: a request reserves its declared Content-Length before its body is read and
 * gives it back once its signature is checked or it ends in any way (answered, aborted, timed out).
 */
export class PreAuthBudget {
  /** Declared body bytes of the requests holding a reservation. */
  bytes = 0;
  /** Requests holding a reservation. */
  requests = 0;

  readonly maxBytes: number;
  readonly maxRequests: number;

  constructor(maxBytes: number, maxRequests: number) {
    this.maxBytes = maxBytes;
    this.maxRequests = maxRequests;
  }

  /** Reserves `bytes` for one request, or undefined past either limit. The returned release is idempotent. */
  reserve(bytes: number): (() => void) | undefined {
    if (this.requests + 1 > this.maxRequests || this.bytes + bytes > this.maxBytes) return undefined;
    this.requests += 1;
    this.bytes += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.requests -= 1;
      this.bytes -= bytes;
    };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    preauth: PreAuthBudget;
  }
}

export type DeadlinePhase = 'headers' | 'body';

const TIMEOUT_BODY = '{"error":"request timeout","code":"RELAY_REQUEST_TIMEOUT"}';
const TIMEOUT_RESPONSE = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${TIMEOUT_BODY.length}\r\n\r\n${TIMEOUT_BODY}`;
const timedOutSockets = new WeakSet<Socket>();

/** True when the deadlines below closed `socket` (so its request's abort is a timeout, not the client's). */
export function timedOut(socket: Socket): boolean {
  return timedOutSockets.has(socket);
}

export interface DeadlineOptions {
  /** From the connection on, for its first request; the headers must be complete by then. */
  readonly headersTimeoutMs: number;
  /** From a request's headers on; its body must be complete by then. */
  readonly requestTimeoutMs: number;
  /** After a response on a kept-alive connection, the next request's headers are due within this plus headersTimeoutMs. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * Per-connection deadlines with a timer each, so they hold to the millisecond rather than to Node's check interval
 * (`connectionsCheckingInterval`, 30 s by default, which let 1 byte/s bodies live 60–80 s with a 15 s
 * requestTimeout). On expiry the relay answers 408 (when nothing was answered yet) and destroys the socket.
 */
export function enforceDeadlines(server: Server, options: DeadlineOptions, onTimeout: (phase: DeadlinePhase) => void): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const clear = (socket: Socket) => {
    const timer = timers.get(socket);
    if (timer !== undefined) {
      clearTimeout(timer);
      timers.delete(socket);
    }
  };
  const arm = (socket: Socket, ms: number, phase: DeadlinePhase, res?: ServerResponse) => {
    clear(socket);
    if (socket.destroyed) return;
    const timer = setTimeout(() => {
      timers.delete(socket);
      if (socket.destroyed) return;
      timedOutSockets.add(socket);
      onTimeout(phase);
      if (socket.writable && (res === undefined || !res.headersSent)) socket.write(TIMEOUT_RESPONSE);
      socket.destroy();
    }, ms);
    timer.unref();
    timers.set(socket, timer);
  };
  server.on('connection', (socket: Socket) => {
    arm(socket, options.headersTimeoutMs, 'headers');
    socket.once('close', () => clear(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const nextRequest = () => arm(socket, options.keepAliveTimeoutMs + options.headersTimeoutMs, 'headers');
    if (req.complete) clear(socket);
    else arm(socket, options.requestTimeoutMs, 'body', res);
    req.once('end', () => {
      if (res.writableFinished) nextRequest();
      else clear(socket);
    });
    res.once('finish', () => {
      if (req.complete) nextRequest();
    });
  });
}

/**
 * Reads a body of `declared` bytes (its validated Content-Length) into one buffer of that size, allocated outside
 * Node's buffer pool when the first byte arrives: nothing is kept once the request is gone, and the bytes held never
 * exceed what the budget reserved. Settles once: the body, or an error when the client aborts or sends more or less.
 */
export function readBody(stream: IncomingMessage, declared: number, done: (error: Error | null, body?: Buffer) => void): void {
  let buffer: Buffer | undefined;
  let offset = 0;
  let settled = false;
  const settle = (error: Error | null, body?: Buffer) => {
    if (settled) return;
    settled = true;
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    buffer = undefined;
    done(error, body);
  };
  const aborted = () => new RelayError(RelayErrorCode.BadPayload, 'the request ended before its body', { statusCode: 400 });
  function onData(chunk: Buffer) {
    if (offset + chunk.length > declared) {
      settle(new RelayError(RelayErrorCode.BadPayload, 'body longer than its Content-Length', { statusCode: 400 }));
      return;
    }
    buffer ??= Buffer.allocUnsafeSlow(declared);
    chunk.copy(buffer, offset);
    offset += chunk.length;
  }
  function onEnd() {
    if (offset !== declared) settle(new RelayError(RelayErrorCode.BadPayload, 'body shorter than its Content-Length', { statusCode: 400 }));
    else settle(null, buffer ?? Buffer.alloc(0));
  }
  function onError() {
    settle(aborted());
  }
  function onClose() {
    settle(aborted());
  }
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('error', onError);
  stream.once('close', onClose);
}
