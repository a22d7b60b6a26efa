// Thin helpers over cdk8s ApiObject so every construct emits plain, typed documents with explicit names.
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@kargo/model';
import { invalidProps } from '../errors.ts';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Kubernetes document: apiVersion, kind, metadata and its body (spec etc.). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [key: string]: unknown;
}

/** Adds `manifest` to `scope` as an ApiObject; key order in files is set by emit (`orderKeys`), not here. */
export function addManifest(scope: Construct, id: string, manifest: Manifest): ApiObject {
  const { apiVersion, kind, metadata, ...body } = manifest;
  return new ApiObject(scope, id, { apiVersion, kind, metadata: { ...metadata }, ...body });
}

/** Throws unless `name` is a valid object name of the given form. */
export function checkName(what: string, name: string, form: 'label' | 'subdomain' = 'label'): void {
  const ok = form === 'label' ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    throw invalidProps(what, name, `is not a valid Kubernetes name (RFC 1123 ${form === 'label' ? 'label, ≤ 63' : 'subdomain, ≤ 253'} characters)`);
  }
}

/** Drops keys whose value is undefined so optional props never reach the output as nulls. */
export function compact<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
