// Parses and checks the relay's routes file: YAML → schema → cross-route rules, each issue with line:column.
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { formatPath, Severity, type Issue, type Result } from '../result.ts';
import { compileTagRules } from '../images/index.ts';
import { RelayRoutesSchema, relayTargetKey, type RelayRoutes } from './schema.ts';

export interface ParseRelayRoutesOptions {
  /** Shown in issues (`routes.yaml:3:7: …`). */
  readonly filename?: string;
}

type Segment = string | number;

/** Finds the YAML node at `path` (or the deepest existing ancestor) to locate an issue in the text. */
function locate(doc: Document, counter: LineCounter, path: readonly Segment[]): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = doc.contents ?? undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const key: unknown = item.key;
        return (key !== null && typeof key === 'object' && 'value' in key ? key.value : key) === segment;
      });
      if (pair === undefined) break;
      node = pair.value;
      if (node !== null && typeof node === 'object' && 'range' in node) found = node as Node;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node !== null && typeof node === 'object' && 'range' in node) found = node as Node;
      else break;
    } else {
      break;
    }
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = counter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function issueAt(
  doc: Document,
  counter: LineCounter,
  filename: string | undefined,
  path: readonly Segment[],
  fields: { message: string; code: string; severity: Severity },
): Issue {
  const where = locate(doc, counter, path);
  return {
    path: formatPath(path),
    ...fields,
    ...(filename === undefined ? {} : { file: filename }),
    ...(where ?? {}),
  };
}

function zodPath(issue: z.core.$ZodIssue): Segment[] {
  return issue.path.filter((s): s is Segment => typeof s === 'string' || typeof s === 'number');
}

/**
 * Reads a routes file. Errors: YAML syntax, schema violations (unknown keys, bad URLs, names), and a route
 * listed twice for one image. Warnings: a `kargoWebhook` URL whose path is not a GitHub receiver path.
 */
export function parseRelayRoutes(text: string, options: ParseRelayRoutesOptions = {}): Result<RelayRoutes> {
  const { filename } = options;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const file = filename === undefined ? {} : { file: filename };
  if (doc.errors.length > 0) {
    const errors: Issue[] = doc.errors.map((e) => {
      const pos = counter.linePos(e.pos[0]);
      return { path: '', message: e.message.split('\n')[0] ?? e.message, severity: Severity.Error, code: 'yaml-syntax', ...file, line: pos.line, column: pos.col };
    });
    return { ok: false, errors, warnings: [] };
  }
  const parsed = RelayRoutesSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) =>
      issueAt(doc, counter, filename, zodPath(i), { message: i.message, code: i.code, severity: Severity.Error }),
    );
    return { ok: false, errors, warnings: [] };
  }
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const seen = new Map<string, number>();
  parsed.data.routes.forEach((route, r) => {
    const image = route.image.toLowerCase();
    const earlier = seen.get(image);
    if (earlier !== undefined) {
      errors.push(
        issueAt(doc, counter, filename, ['routes', r, 'image'], {
          message: `image ${route.image} already has a route (routes[${earlier}]); list all its targets there`,
          code: 'duplicate-route',
          severity: Severity.Error,
        }),
      );
    } else {
      seen.set(image, r);
    }
    if (route.tags !== undefined) {
      const compiled = compileTagRules(route.tags);
      if (!compiled.ok) {
        for (const e of compiled.errors) {
          const sub = e.path.split(/[.[\]]/).filter((x) => x !== '').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
          errors.push(issueAt(doc, counter, filename, ['routes', r, 'tags', ...sub], { message: e.message, code: e.code, severity: Severity.Error }));
        }
      }
    }
    const keys = new Set<string>();
    route.targets.forEach((target, t) => {
      const key = relayTargetKey(target);
      if (keys.has(key)) {
        errors.push(
          issueAt(doc, counter, filename, ['routes', r, 'targets', t], {
            message: 'the same target is listed twice in this route',
            code: 'duplicate-target',
            severity: Severity.Error,
          }),
        );
      }
      keys.add(key);
      if ('kargoWebhook' in target && 'url' in target.kargoWebhook && !/\/github\/[0-9a-f]{64}$/.test(new URL(target.kargoWebhook.url).pathname)) {
        warnings.push(
          issueAt(doc, counter, filename, ['routes', r, 'targets', t, 'kargoWebhook', 'url'], {
            message: "path does not end in /github/<sha256 hex>, the shape of a Kargo GitHub receiver's status.webhookReceivers[].path",
            code: 'not-a-github-receiver',
            severity: Severity.Warning,
          }),
        );
      }
    });
  });
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, value: parsed.data, warnings };
}
