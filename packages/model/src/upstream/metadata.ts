// The checks the API server makes of every object's metadata (apimachinery's ObjectMeta validation), which
// CRD schemas leave out (they say only `metadata: {type: object}`).
import { Severity, formatPath, type Issue } from '../result.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** ObjectMeta's fields: anything else is an unknown field under strict validation. */
const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const issue = (path: (string | number)[], message: string, code: string, severity: Severity = Severity.Error): Issue => ({
  path: formatPath(['metadata', ...path]),
  message,
  severity,
  code,
});

/** `prefix/name` with an optional DNS-subdomain prefix, as label and annotation keys must be. */
function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'its prefix must be a lower-case DNS subdomain (e.g. example.com/)';
  }
  if (name.length === 0 || name.length > 63) return 'its name part must be 1–63 characters';
  if (!QUALIFIED_NAME_PART.test(name)) return 'its name part must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  return undefined;
}

export function metadataIssues(metadata: unknown, scope: 'Namespaced' | 'Cluster'): Issue[] {
  if (!isObject(metadata)) return [{ path: 'metadata', message: 'required field is missing (an object with at least a name)', severity: Severity.Error, code: 'required' }];
  const out: Issue[] = [];
  for (const key of Object.keys(metadata)) {
    if (!OBJECT_META_FIELDS.has(key)) out.push(issue([key], `unknown field "${key}"`, 'unknown-field'));
  }
  const { name, generateName, namespace, labels, annotations } = metadata;
  if (name === undefined && generateName === undefined) out.push(issue(['name'], 'required field is missing', 'required'));
  if (name !== undefined) {
    if (typeof name !== 'string') out.push(issue(['name'], 'must be a string', 'type'));
    else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) out.push(issue(['name'], 'must be a lower-case DNS subdomain: a-z, 0-9, "-" and ".", at most 253 characters, starting and ending with a letter or digit', 'pattern'));
  }
  if (namespace !== undefined) {
    if (scope === 'Cluster') out.push(issue(['namespace'], 'is ignored: this kind is cluster-scoped', 'cluster-scoped', Severity.Warning));
    else if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace)) out.push(issue(['namespace'], 'must be a lower-case DNS label: a-z, 0-9 and "-", at most 63 characters', 'pattern'));
  }
  if (labels !== undefined) {
    if (!isObject(labels)) out.push(issue(['labels'], 'must be a map of strings', 'type'));
    else {
      for (const [key, value] of Object.entries(labels)) {
        const problem = qualifiedNameProblem(key);
        if (problem !== undefined) out.push(issue(['labels', key], `invalid label key: ${problem}`, 'label-key'));
        if (typeof value !== 'string') out.push(issue(['labels', key], 'must be a string (quote it in YAML)', 'type'));
        else if (value.length > 63 || !LABEL_VALUE.test(value)) out.push(issue(['labels', key], 'invalid label value: at most 63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric', 'label-value'));
      }
    }
  }
  if (annotations !== undefined) {
    if (!isObject(annotations)) out.push(issue(['annotations'], 'must be a map of strings', 'type'));
    else {
      let bytes = 0;
      for (const [key, value] of Object.entries(annotations)) {
        const problem = qualifiedNameProblem(key);
        if (problem !== undefined) out.push(issue(['annotations', key], `invalid annotation key: ${problem}`, 'annotation-key'));
        if (typeof value !== 'string') out.push(issue(['annotations', key], 'must be a string (quote it in YAML)', 'type'));
        else bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
      }
      if (bytes > ANNOTATIONS_MAX_BYTES) out.push(issue(['annotations'], `total size ${bytes} bytes exceeds the API server's limit of ${ANNOTATIONS_MAX_BYTES}`, 'too-large'));
    }
  }
  return out;
}
