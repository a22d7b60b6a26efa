// Where the read-only upstream schemas and fixtures live: ../shared beside the repository, or KARGO_SHARED_DIR.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const SHARED_DIR = process.env.KARGO_SHARED_DIR ?? resolve(import.meta.dirname, '../../../../shared');

export function sharedPath(...segments: string[]): string {
  return resolve(SHARED_DIR, ...segments);
}

export function readSharedJson<T = unknown>(...segments: string[]): T {
  return JSON.parse(readFileSync(sharedPath(...segments), 'utf8')) as T;
}
