// Messages between the Inbox (main thread) and its writer thread; each request gets one response with its id.
import type { NewDelivery, NewJob, Outcome } from './store.ts';

export type WriterRequest = { readonly id: number } & (
  | { readonly op: 'accept'; readonly batch: readonly NewDelivery[] }
  | { readonly op: 'claimGroup'; readonly targetKey: string; readonly image: string; readonly now: number; readonly exclude: readonly number[]; readonly slice: number }
  | { readonly op: 'coalesceMore'; readonly winnerId: number; readonly targetKey: string; readonly image: string; readonly now: number; readonly exclude: readonly number[]; readonly slice: number }
  | { readonly op: 'complete'; readonly jobId: number; readonly outcome: Outcome; readonly now: number }
  | { readonly op: 'replay'; readonly deliveryId: string; readonly jobs: readonly NewJob[]; readonly now: number }
  | { readonly op: 'prune'; readonly before: number }
  | { readonly op: 'writable'; readonly probeBytes: number }
  | { readonly op: 'close' }
);

export type WriterResponse = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };
