// The inbox's only writer, on its own thread: commits (and their fsyncs) never block the event loop that answers GitHub.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SegmentWriter } from './segments.ts';
import { InboxWrites, openInboxDatabase, segmentsDir } from './store.ts';
import type { WriterRequest, WriterResponse } from './protocol.ts';

const { dataDir, coalesceWindowMs, segmentBytes } = workerData as { dataDir: string; coalesceWindowMs: number; segmentBytes: number };
if (parentPort === null) throw new Error('writer-thread.ts runs only as a worker thread');
const port = parentPort;

let writes: InboxWrites;
try {
  writes = new InboxWrites(openInboxDatabase(dataDir, { migrate: false }), new SegmentWriter(segmentsDir(dataDir), segmentBytes), coalesceWindowMs);
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WriterResponse);
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: describe(error) } satisfies WriterResponse);
  throw error;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function run(request: WriterRequest): unknown {
  switch (request.op) {
    case 'accept':
      return writes.accept(request.batch);
    case 'claimGroup':
      return writes.claimGroup(request.targetKey, request.image, request.now, request.exclude, request.slice);
    case 'coalesceMore':
      return writes.coalesceMore(request.winnerId, request.targetKey, request.image, request.now, request.exclude, request.slice);
    case 'complete':
      return writes.complete(request.jobId, request.outcome, request.now);
    case 'replay':
      return writes.replay(request.deliveryId, request.jobs, request.now);
    case 'prune':
      return writes.prune(request.before);
    case 'writable':
      return writes.writable(request.probeBytes);
    case 'close':
      writes.close();
      return true;
  }
}

function answer(request: WriterRequest, work: () => unknown): void {
  let response: WriterResponse;
  try {
    response = { id: request.id, ok: true, value: work() };
  } catch (error) {
    response = { id: request.id, ok: false, error: describe(error) };
  }
  port.postMessage(response);
}

type AcceptRequest = Extract<WriterRequest, { op: 'accept' }>;

/** Consecutive accept messages become one transaction (one fsync); each still gets its own answer. */
function acceptAll(requests: readonly AcceptRequest[]): void {
  let result: ReturnType<InboxWrites['accept']> | undefined;
  let failure: string | undefined;
  try {
    result = writes.accept(requests.flatMap((r) => r.batch));
  } catch (error) {
    failure = describe(error);
  }
  let offset = 0;
  for (const r of requests) {
    if (result === undefined) {
      port.postMessage({ id: r.id, ok: false, error: failure ?? 'unknown' } satisfies WriterResponse);
      continue;
    }
    const stored = result.stored.slice(offset, offset + r.batch.length);
    offset += r.batch.length;
    // `added` only matters in sum; the first answer carries it.
    port.postMessage({ id: r.id, ok: true, value: { stored, added: r === requests[0] ? result.added : 0 } } satisfies WriterResponse);
  }
}

port.on('message', (first: WriterRequest) => {
  // Everything that queued up while the previous commit was fsyncing is handled now, in order.
  const requests: WriterRequest[] = [first];
  for (let more = receiveMessageOnPort(port); more !== undefined; more = receiveMessageOnPort(port)) requests.push(more.message as WriterRequest);
  let accepts: AcceptRequest[] = [];
  for (const request of requests) {
    if (request.op === 'accept') {
      accepts.push(request);
      continue;
    }
    if (accepts.length > 0) acceptAll(accepts);
    accepts = [];
    answer(request, () => run(request));
    if (request.op === 'close') {
      port.close();
      return;
    }
  }
  if (accepts.length > 0) acceptAll(accepts);
});
