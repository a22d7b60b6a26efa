// Image and chart repository URL normalisation exactly as Kargo's pkg/urls does it, so the relay matches a
// GHCR package URL to Warehouse subscriptions the same way Kargo's receiver does.
//
// Kargo parses references with go-containerregistry's `name.ParseReference(s, name.WeakValidation)`; the
// parser below reproduces that library's rules (pkg/name: tag.go, digest.go, repository.go, registry.go)
// rather than the stricter docker/distribution grammar that npm reference parsers implement. Notable
// consequences: a first path segment is a registry only if it contains `.` or `:` (so `localhost/app` is a
// Docker Hub repository), the repository must be 2–255 characters of `[a-z0-9_./-]`, and an empty tag
// after a trailing `:` is tolerated.
import { KargoModelError, ModelErrorCode } from '../errors.ts';

/** A parsed image reference, in go-containerregistry's terms. */
export interface ImageReference {
  /** Registry host[:port]; Docker Hub is `index.docker.io` (as go-containerregistry reports it). */
  readonly registry: string;
  /** Repository path; official Docker Hub images carry their implicit `library/` prefix. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` */
  readonly digest?: string;
}

/** Thrown by {@link parseImageReference} for text that is not an image reference. */
export class ImageReferenceError extends KargoModelError {
  readonly reference: string;

  constructor(reference: string, reason: string) {
    super(ModelErrorCode.InvalidImageReference, `invalid image reference ${JSON.stringify(reference)}: ${reason}`, {
      hint: 'expected [registry/]repository[:tag][@sha256:digest] in lower case, without a URL scheme',
    });
    this.name = 'ImageReferenceError';
    this.reference = reference;
  }
}

const DEFAULT_REGISTRY = 'index.docker.io';
const DOCKER_HUB_ALIAS = 'docker.io';
const TAG_CHARS = /^[A-Za-z0-9_.-]*$/;
const REPOSITORY_CHARS = /^[a-z0-9_./-]*$/;
const DIGEST_CHARS = /^[sh:0-9a-f]*$/;

type Parsed = { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly reason: string };

function runeCount(text: string): number {
  return Array.from(text).length;
}

function checkElement(kind: string, element: string, chars: RegExp, min: number, max: number): string | undefined {
  const n = runeCount(element);
  if (n < min || n > max) return `${kind} must be between ${min} and ${max} characters in length: ${element}`;
  if (!chars.test(element)) return `${kind} contains characters outside ${chars.source}: ${element}`;
  return undefined;
}

// go-containerregistry's checkRegistry: url.Parse("//" + name).Host must equal name.
function checkRegistry(name: string): string | undefined {
  const bad = `registries must be valid RFC 3986 URI authorities: ${name}`;
  // Control characters fail url.Parse; `#`, `?` and `@` split the authority; `%` escapes never round-trip.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f#?@%/]/.test(name)) return bad;
  if (name.startsWith('[')) {
    const close = name.lastIndexOf(']');
    if (close < 0) return bad;
    const port = name.slice(close + 1);
    return port === '' || /^:[0-9]*$/.test(port) ? undefined : bad;
  }
  const colon = name.lastIndexOf(':');
  const host = colon >= 0 ? name.slice(0, colon) : name;
  if (colon >= 0 && !/^:[0-9]*$/.test(name.slice(colon))) return bad;
  // Host characters Go accepts unescaped (non-ASCII is passed through).
  if (!/^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"\u0080-\u{10ffff}]*$/u.test(host)) return bad;
  return undefined;
}

function newRepository(name: string): { registry: string; repository: string } | string {
  if (name === '') return 'a repository name must be specified';
  let registry = '';
  let repository = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':')) {
      registry = first;
      repository = name.slice(slash + 1);
    }
  }
  const repoProblem = checkElement('repository', repository, REPOSITORY_CHARS, 2, 255);
  if (repoProblem !== undefined) return repoProblem;
  const regProblem = checkRegistry(registry);
  if (regProblem !== undefined) return regProblem;
  if (registry === '' || registry === DOCKER_HUB_ALIAS) registry = DEFAULT_REGISTRY;
  if (!repository.includes('/') && registry === DEFAULT_REGISTRY) {
    repository = `library/${repository}`;
    const implicitProblem = checkElement('repository', repository, REPOSITORY_CHARS, 2, 255);
    if (implicitProblem !== undefined) return implicitProblem;
  }
  return { registry, repository };
}

function newTag(name: string): Parsed {
  let base = name;
  let tag = '';
  const parts = name.split(':');
  const last = parts[parts.length - 1] ?? '';
  // A last segment containing `/` is a registry port, not a tag.
  if (parts.length > 1 && !last.includes('/')) {
    base = parts.slice(0, -1).join(':');
    tag = last;
  }
  if (tag !== '') {
    const problem = checkElement('tag', tag, TAG_CHARS, 1, 127);
    if (problem !== undefined) return { ok: false, reason: problem };
  }
  const repo = newRepository(base);
  if (typeof repo === 'string') return { ok: false, reason: repo };
  return { ok: true, ref: tag === '' ? repo : { ...repo, tag } };
}

function newDigest(name: string): Parsed {
  const parts = name.split('@');
  if (parts.length !== 2) {
    return { ok: false, reason: `a digest must contain exactly one '@' separator, saw: ${name}` };
  }
  const [rawBase = '', digest = ''] = parts;
  const problem = checkElement('digest', digest, DIGEST_CHARS, 71, 71);
  if (problem !== undefined) return { ok: false, reason: problem };
  let base = rawBase;
  let tag: string | undefined;
  const tagged = newTag(rawBase);
  if (tagged.ok) {
    base = `${tagged.ref.registry}/${tagged.ref.repository}`;
    tag = tagged.ref.tag;
  }
  const repo = newRepository(base);
  if (typeof repo === 'string') return { ok: false, reason: repo };
  return { ok: true, ref: tag === undefined ? { ...repo, digest } : { ...repo, tag, digest } };
}

function parse(text: string): Parsed {
  if (text.startsWith('http://') || text.startsWith('https://')) {
    return { ok: false, reason: 'image reference must not contain a URL scheme' };
  }
  const tagged = newTag(text);
  if (tagged.ok) return tagged;
  const digested = newDigest(text);
  if (digested.ok) return digested;
  return { ok: false, reason: text.includes('@') ? digested.reason : tagged.reason };
}

/**
 * Parses `[registry/]repository[:tag][@digest]` like go-containerregistry with weak validation. The text is
 * taken as is (no trimming or lower-casing). Throws {@link ImageReferenceError} when it is not a reference.
 */
export function parseImageReference(ref: string): ImageReference {
  const parsed = parse(ref);
  if (!parsed.ok) throw new ImageReferenceError(ref, parsed.reason);
  return parsed.ref;
}

/** {@link parseImageReference} without the exception: `undefined` for invalid text. */
export function tryParseImageReference(ref: string): ImageReference | undefined {
  const parsed = parse(ref);
  return parsed.ok ? parsed.ref : undefined;
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const NON_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu;

/** Kargo's SanitizeURL: drop non-printable runes (BOM, zero-width space, tabs, NBSP…) anywhere, trim spaces. */
export function sanitizeUrl(url: string): string {
  return url.replace(NON_PRINTABLE, '').replace(/^ +| +$/g, '');
}

// Go's strings.ToLower maps rune by rune (no context-sensitive rules); U+0130 becomes a plain `i`.
function goToLower(text: string): string {
  return Array.from(text, (ch) => (ch === '\u0130' ? 'i' : ch.toLowerCase())).join('');
}

/**
 * Kargo's image rule: sanitise, lower-case, parse, keep `registry/repository` (tag and digest dropped);
 * Docker Hub hosts are removed and `library/` stripped. Text that does not parse is returned sanitised
 * and lower-cased, as Kargo returns unparseable input unchanged.
 *
 * `ghcr.io/Org/App:1.2.3` → `ghcr.io/org/app`; `docker.io/library/nginx` → `nginx`.
 */
export function normalizeImageRepoUrl(repoUrl: string): string {
  const cleaned = goToLower(sanitizeUrl(repoUrl));
  const parsed = parse(cleaned);
  if (!parsed.ok) return cleaned;
  const { registry, repository } = parsed.ref;
  if (registry === DEFAULT_REGISTRY || registry === 'registry-1.docker.io') {
    return repository.startsWith('library/') ? repository.slice('library/'.length) : repository;
  }
  return `${registry}/${repository}`;
}

/** Kargo's chart rule: lower-case, strip `oci://`, then the image rule. Classic `https://` repos stay as they are (sanitised). */
export function normalizeChartRepoUrl(repoUrl: string): string {
  const lowered = goToLower(repoUrl.trim());
  return normalizeImageRepoUrl(lowered.startsWith('oci://') ? lowered.slice('oci://'.length) : lowered);
}

/**
 * GitHub's `package_version.package_url` (e.g. `ghcr.io/owner/app:1.2.3`) as the normalised image repository.
 * One trailing `:` is removed first, because GitHub sometimes sends `ghcr.io/u/img:` for untagged versions.
 */
export function packageUrlToImage(packageUrl: string): string {
  const url = packageUrl.endsWith(':') ? packageUrl.slice(0, -1) : packageUrl;
  return normalizeImageRepoUrl(url);
}

const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/**
 * The repository URLs the receiver matches subscriptions against for one `package` event: the chart form
 * for Helm media types, the image form for image media types, otherwise both (deduplicated).
 */
export function packageUrlToRepoUrls(packageUrl: string, mediaType?: string): readonly string[] {
  const url = packageUrl.endsWith(':') ? packageUrl.slice(0, -1) : packageUrl;
  if (mediaType?.startsWith('application/vnd.cncf.helm') === true) return [normalizeChartRepoUrl(url)];
  if (mediaType !== undefined && IMAGE_MEDIA_TYPES.has(mediaType)) return [normalizeImageRepoUrl(url)];
  return [...new Set([normalizeImageRepoUrl(url), normalizeChartRepoUrl(url)])];
}
