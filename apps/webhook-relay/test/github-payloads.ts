/**
 * Typed builders for the GitHub webhook deliveries the relay receives: `package` / `registry_package` (GHCR container
 * images, and a non-container npm package for the "ignored" path) and `ping` (repository, organization and App hooks).
 *
 * Written by us from the field names of GitHub's documented webhook payloads; every value (owner `acme`, repository
 * `flask-app`, ids, timestamps, digests) is made up here. The shapes follow what GHCR really sends, not the
 * hand-edited upstream examples: `package_type` and `ecosystem` are `CONTAINER`, `namespace` is the lower-case owner,
 * `package_version.package_url` is `ghcr.io/<namespace>/<name>:<tag>` (a bare trailing `:` when untagged), the tag is
 * in `package_version.container_metadata.tag.name` (`""` for untagged multi-arch children), and the manifest digest is
 * in `version`, `name`, `container_metadata.tag.digest` and `container_metadata.manifest.digest` alike. A delivery
 * carries full `repository`, `organization`, `sender` and `owner`/`author` user objects with all their URL fields,
 * so it is as large as a real one (~12 KB for an organization-owned image).
 *
 * Same options, same output: ids, digests and timestamps derive from the options, never from the clock or chance.
 */
import { createHash } from 'node:crypto';

/** The GitHub organization our examples belong to. */
export const OWNER = 'acme';
/** The repository the example image is built from and linked to. */
export const REPO = 'flask-app';
/** The image the default route and every builder default to. */
export const GHCR_IMAGE = `ghcr.io/${OWNER}/${REPO}`;
/** The delivery time all builders stamp (a fixed instant, so output is reproducible). */
export const DELIVERED_AT = '2025-06-02T08:14:07Z';

export type PackageEventName = 'package' | 'registry_package';
/** The actions GitHub sends for these events and the relay forwards. */
export type PackageAction = 'published' | 'updated';
/** `CONTAINER` is what GHCR webhooks say; `container` is the REST API's spelling; `docker` is the legacy registry. */
export type PackageType = 'CONTAINER' | 'container' | 'docker' | 'npm' | 'maven' | 'rubygems' | 'nuget';
/** What the pushed manifest is: a single-platform image, a multi-arch index, or a Helm chart stored as OCI artifact. */
export type ArtifactKind = 'image' | 'index' | 'helm-chart';
export type OwnerType = 'Organization' | 'User';
/** `published`/`updated`, or any other string (e.g. `deleted`) for tests of what the relay ignores. */
export type ActionOption = PackageAction | (string & Record<never, never>);

// ---------------------------------------------------------------------------------------------------------------
// Payload types (the fields GitHub documents for these events; optional where GitHub leaves them out)

export interface GitHubUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  followers_url: string;
  following_url: string;
  gists_url: string;
  starred_url: string;
  subscriptions_url: string;
  organizations_url: string;
  repos_url: string;
  events_url: string;
  received_events_url: string;
  type: 'User' | 'Organization' | 'Bot';
  user_view_type: 'public';
  site_admin: boolean;
}

export interface GitHubOrganization {
  login: string;
  id: number;
  node_id: string;
  url: string;
  repos_url: string;
  events_url: string;
  hooks_url: string;
  issues_url: string;
  members_url: string;
  public_members_url: string;
  avatar_url: string;
  description: string | null;
}

export interface GitHubRepository {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  private: boolean;
  owner: GitHubUser;
  html_url: string;
  description: string | null;
  fork: boolean;
  url: string;
  forks_url: string;
  keys_url: string;
  collaborators_url: string;
  teams_url: string;
  hooks_url: string;
  issue_events_url: string;
  events_url: string;
  assignees_url: string;
  branches_url: string;
  tags_url: string;
  blobs_url: string;
  git_tags_url: string;
  git_refs_url: string;
  trees_url: string;
  statuses_url: string;
  languages_url: string;
  stargazers_url: string;
  contributors_url: string;
  subscribers_url: string;
  subscription_url: string;
  commits_url: string;
  git_commits_url: string;
  comments_url: string;
  issue_comment_url: string;
  contents_url: string;
  compare_url: string;
  merges_url: string;
  archive_url: string;
  downloads_url: string;
  issues_url: string;
  pulls_url: string;
  milestones_url: string;
  notifications_url: string;
  labels_url: string;
  releases_url: string;
  deployments_url: string;
  created_at: string;
  updated_at: string;
  pushed_at: string;
  git_url: string;
  ssh_url: string;
  clone_url: string;
  svn_url: string;
  homepage: string | null;
  size: number;
  stargazers_count: number;
  watchers_count: number;
  language: string | null;
  has_issues: boolean;
  has_projects: boolean;
  has_downloads: boolean;
  has_wiki: boolean;
  has_pages: boolean;
  has_discussions: boolean;
  forks_count: number;
  mirror_url: string | null;
  archived: boolean;
  disabled: boolean;
  open_issues_count: number;
  license: { key: string; name: string; spdx_id: string; url: string; node_id: string } | null;
  allow_forking: boolean;
  is_template: boolean;
  web_commit_signoff_required: boolean;
  topics: string[];
  visibility: 'public' | 'private' | 'internal';
  forks: number;
  open_issues: number;
  watchers: number;
  default_branch: string;
  custom_properties: Record<string, string>;
}

export interface GitHubInstallation {
  id: number;
  node_id: string;
}

export interface OciDescriptor {
  digest: string;
  media_type: string;
  size: number;
}

export interface ContainerMetadata {
  tag: { name: string; digest: string };
  labels: {
    description: string;
    source: string;
    revision: string;
    image_url: string;
    licenses: string;
    all_labels: Record<string, string>;
  };
  manifest: OciDescriptor & { uri: string; config: OciDescriptor; layers: OciDescriptor[] };
}

export interface PackageFile {
  download_url: string;
  id: number;
  name: string;
  sha256: string;
  sha1: string;
  md5: string;
  content_type: string;
  state: 'uploaded';
  size: number;
  created_at: string;
  updated_at: string;
}

export interface PackageVersion {
  id: number;
  version: string;
  name: string;
  description: string;
  summary: string;
  body?: string;
  body_html?: string;
  manifest: string;
  html_url: string;
  tag_name?: string;
  target_commitish: string;
  target_oid: string;
  draft?: boolean;
  prerelease?: boolean;
  created_at: string;
  updated_at: string;
  metadata: unknown[];
  docker_metadata?: unknown[];
  container_metadata?: ContainerMetadata;
  package_files: PackageFile[];
  author: GitHubUser;
  installation_command: string;
  package_url: string;
  release?: {
    url: string;
    html_url: string;
    id: number;
    tag_name: string;
    target_commitish: string;
    name: string;
    draft: boolean;
    author: GitHubUser;
    prerelease: boolean;
    created_at: string;
    published_at: string;
  };
}

export interface GitHubPackage {
  id: number;
  name: string;
  namespace: string;
  description: string | null;
  ecosystem: string;
  package_type: PackageType;
  html_url: string;
  created_at: string;
  updated_at: string;
  owner: GitHubUser;
  package_version: PackageVersion;
  registry: { about_url: string; name: string; type: string; url: string; vendor: string } | null;
}

interface DeliveryContext {
  repository?: GitHubRepository;
  organization?: GitHubOrganization;
  installation?: GitHubInstallation;
  sender: GitHubUser;
}

/** A `package` or `registry_package` delivery body: the package sits under the event's own name (one of the two). */
export type PackageDelivery<E extends PackageEventName = 'package'> = E extends PackageEventName ? DeliveryContext & { action: string } & Record<E, GitHubPackage> : never;

export interface GitHubHook {
  type: 'Repository' | 'Organization' | 'App';
  id: number;
  name: 'web';
  active: boolean;
  app_id?: number;
  events: string[];
  config: { content_type: 'json' | 'form'; insecure_ssl: '0' | '1'; url: string; secret?: string };
  updated_at: string;
  created_at: string;
  url?: string;
  test_url?: string;
  ping_url?: string;
  deliveries_url?: string;
  last_response?: { code: number | null; status: string; message: string | null };
}

export interface PingDelivery extends DeliveryContext {
  zen: string;
  hook_id: number;
  hook: GitHubHook;
}

// ---------------------------------------------------------------------------------------------------------------
// Deterministic made-up values

function hex(seed: string, length = 64): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, length);
}

/** A positive id of `digits` digits, stable for `seed`. */
function idOf(seed: string, digits = 8): number {
  const n = Number.parseInt(hex(seed, 12), 16);
  const low = 10 ** (digits - 1);
  return low + (n % (9 * low));
}

/** GitHub's newer node ids: a type prefix and a base64url blob. */
function nodeId(prefix: string, seed: string): string {
  return `${prefix}_kgDO${Buffer.from(hex(seed, 16), 'hex').toString('base64url').slice(0, 8)}`;
}

/** An ISO time `minutes` before DELIVERED_AT, GitHub's format (no milliseconds). */
function before(minutes: number): string {
  return new Date(Date.parse(DELIVERED_AT) - minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

const API = 'https://api.github.com';
const WEB = 'https://github.com';
const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  helmChart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Accounts and repositories

/** A user, organization or bot as GitHub embeds it (`sender`, `owner`, `author`, `repository.owner`). */
export function user(login: string, type: GitHubUser['type'] = login.endsWith('[bot]') ? 'Bot' : 'User'): GitHubUser {
  const id = idOf(`user:${login}`, type === 'Bot' ? 8 : 7);
  const path = `${API}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(type === 'Organization' ? 'O' : type === 'Bot' ? 'BOT' : 'U', `user:${login}`),
    avatar_url: `https://avatars.githubusercontent.com/${type === 'Bot' ? 'in/' : 'u/'}${id}?v=4`,
    gravatar_id: '',
    url: path,
    html_url: type === 'Bot' ? `${WEB}/apps/${login.replace(/\[bot\]$/, '')}` : `${WEB}/${login}`,
    followers_url: `${path}/followers`,
    following_url: `${path}/following{/other_user}`,
    gists_url: `${path}/gists{/gist_id}`,
    starred_url: `${path}/starred{/owner}{/repo}`,
    subscriptions_url: `${path}/subscriptions`,
    organizations_url: `${path}/orgs`,
    repos_url: `${path}/repos`,
    events_url: `${path}/events{/privacy}`,
    received_events_url: `${path}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function organization(login: string = OWNER): GitHubOrganization {
  const path = `${API}/orgs/${login}`;
  return {
    login,
    id: idOf(`user:${login}`, 7),
    node_id: nodeId('O', `user:${login}`),
    url: path,
    repos_url: `${path}/repos`,
    events_url: `${path}/events`,
    hooks_url: `${path}/hooks`,
    issues_url: `${path}/issues`,
    members_url: `${path}/members{/member}`,
    public_members_url: `${path}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${idOf(`user:${login}`, 7)}?v=4`,
    description: `${login} builds and ships its services from here.`,
  };
}

export function repository(owner: string = OWNER, name: string = REPO, ownerType: OwnerType = 'Organization'): GitHubRepository {
  const full = `${owner}/${name}`;
  const path = `${API}/repos/${full}`;
  return {
    id: idOf(`repo:${full}`, 9),
    node_id: nodeId('R', `repo:${full}`),
    name,
    full_name: full,
    private: false,
    owner: user(owner, ownerType),
    html_url: `${WEB}/${full}`,
    description: `${name}: a small web service, built into a container image on every tag.`,
    fork: false,
    url: path,
    forks_url: `${path}/forks`,
    keys_url: `${path}/keys{/key_id}`,
    collaborators_url: `${path}/collaborators{/collaborator}`,
    teams_url: `${path}/teams`,
    hooks_url: `${path}/hooks`,
    issue_events_url: `${path}/issues/events{/number}`,
    events_url: `${path}/events`,
    assignees_url: `${path}/assignees{/user}`,
    branches_url: `${path}/branches{/branch}`,
    tags_url: `${path}/tags`,
    blobs_url: `${path}/git/blobs{/sha}`,
    git_tags_url: `${path}/git/tags{/sha}`,
    git_refs_url: `${path}/git/refs{/sha}`,
    trees_url: `${path}/git/trees{/sha}`,
    statuses_url: `${path}/statuses/{sha}`,
    languages_url: `${path}/languages`,
    stargazers_url: `${path}/stargazers`,
    contributors_url: `${path}/contributors`,
    subscribers_url: `${path}/subscribers`,
    subscription_url: `${path}/subscription`,
    commits_url: `${path}/commits{/sha}`,
    git_commits_url: `${path}/git/commits{/sha}`,
    comments_url: `${path}/comments{/number}`,
    issue_comment_url: `${path}/issues/comments{/number}`,
    contents_url: `${path}/contents/{+path}`,
    compare_url: `${path}/compare/{base}...{head}`,
    merges_url: `${path}/merges`,
    archive_url: `${path}/{archive_format}{/ref}`,
    downloads_url: `${path}/downloads`,
    issues_url: `${path}/issues{/number}`,
    pulls_url: `${path}/pulls{/number}`,
    milestones_url: `${path}/milestones{/number}`,
    notifications_url: `${path}/notifications{?since,all,participating}`,
    labels_url: `${path}/labels{/name}`,
    releases_url: `${path}/releases{/id}`,
    deployments_url: `${path}/deployments`,
    created_at: '2024-11-18T10:02:44Z',
    updated_at: before(90),
    pushed_at: before(4),
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `${WEB}/${full}.git`,
    svn_url: `${WEB}/${full}`,
    homepage: null,
    size: 412,
    stargazers_count: 3,
    watchers_count: 3,
    language: 'Python',
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 2,
    license: { key: 'apache-2.0', name: 'Apache License 2.0', spdx_id: 'Apache-2.0', url: `${API}/licenses/apache-2.0`, node_id: 'MDc6TGljZW5zZTI=' },
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: ['flask', 'kargo', 'containers'],
    visibility: 'public',
    forks: 0,
    open_issues: 2,
    watchers: 3,
    default_branch: 'main',
    custom_properties: {},
  };
}

function context(owner: string, ownerType: OwnerType, repo: string | null, sender: string, installationId: number | undefined): DeliveryContext {
  return {
    ...(repo === null ? {} : { repository: repository(owner, repo, ownerType) }),
    ...(ownerType === 'Organization' ? { organization: organization(owner) } : {}),
    ...(installationId === undefined ? {} : { installation: { id: installationId, node_id: Buffer.from(`023:IntegrationInstallation${installationId}`).toString('base64') } }),
    sender: user(sender),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// package / registry_package: GHCR container images

export interface GhcrPackageOptions<E extends PackageEventName = 'package'> {
  /** `package` (the one to subscribe) or the older `registry_package`; same body, other top-level key. Default `package`. */
  readonly event?: E;
  /** Default `published`. */
  readonly action?: ActionOption;
  /** `ghcr.io/<owner>/<name>` (name may hold `/`); default `ghcr.io/acme/flask-app`. Namespace and name derive from it. */
  readonly image?: string;
  /** The pushed tag; `''` for an untagged manifest (a platform child of a multi-arch push, an attestation). Default `1.2.3`. */
  readonly tag?: string;
  /** The manifest digest (`sha256:` + 64 hex); default derived from image, tag and artifact. */
  readonly digest?: string;
  /** The account login with its own casing (`owner.login`); default the image's namespace. */
  readonly owner?: string;
  /** Default `Organization` (then the delivery carries `organization`). */
  readonly ownerType?: OwnerType;
  /** The repository the package is linked to (`repository`); `null` for an unlinked package. Default the package name. */
  readonly repo?: string | null;
  /** Who pushed; default `github-actions[bot]` (a workflow's push). */
  readonly sender?: string;
  /** Adds `installation` as on a GitHub App's deliveries. */
  readonly installationId?: number;
  /** Default `image`. */
  readonly artifact?: ArtifactKind;
  /** How many layers the image manifest lists (each adds ~150 bytes); default 5, a slim base plus the app. Images only. */
  readonly layers?: number;
  /** Default `CONTAINER`, as GHCR sends; others exercise the relay's type check. */
  readonly packageType?: PackageType;
  /** Replaces `package_version.package_url` (and the installation command), e.g. to test odd casing. */
  readonly packageUrl?: string;
}

/** Splits `ghcr.io/<namespace>/<name...>`; throws on anything else, so a typo in a test fails loudly. */
function splitImage(image: string): { host: string; namespace: string; name: string } {
  const [host, namespace, ...rest] = image.split('/');
  if (host === undefined || namespace === undefined || rest.length === 0) throw new Error(`not a registry/namespace/name image: ${image}`);
  return { host, namespace, name: rest.join('/') };
}

function containerMetadata(o: { owner: string; repo: string | null; tag: string; digest: string; artifact: ArtifactKind; layers: number; revision: string; namespace: string; name: string }): ContainerMetadata {
  const source = `${WEB}/${o.owner}/${o.repo ?? o.name}`;
  const layers = (count: number, mediaType: string): OciDescriptor[] =>
    Array.from({ length: count }, (_, i) => ({ digest: `sha256:${hex(`${o.digest}:layer:${i}`)}`, media_type: mediaType, size: idOf(`${o.digest}:size:${i}`, i === 0 ? 8 : 6) }));
  const manifest =
    o.artifact === 'index'
      ? { media_type: MEDIA.ociIndex, size: 1609, config: { digest: '', media_type: '', size: 0 }, layers: [] }
      : o.artifact === 'helm-chart'
        ? { media_type: MEDIA.ociManifest, size: 548, config: { digest: `sha256:${hex(`${o.digest}:config`)}`, media_type: MEDIA.helmConfig, size: 211 }, layers: layers(1, MEDIA.helmChart) }
        : { media_type: MEDIA.dockerManifest, size: 1371, config: { digest: `sha256:${hex(`${o.digest}:config`)}`, media_type: MEDIA.dockerConfig, size: 6912 }, layers: layers(o.layers, MEDIA.dockerLayer) };
  // Real payloads often leave the flattened labels empty; all_labels has what the build set.
  const all: Record<string, string> =
    o.tag === ''
      ? {}
      : {
          'org.opencontainers.image.created': before(6),
          'org.opencontainers.image.description': `${o.name} web service`,
          'org.opencontainers.image.licenses': 'Apache-2.0',
          'org.opencontainers.image.revision': o.revision,
          'org.opencontainers.image.source': source,
          'org.opencontainers.image.title': o.name,
          'org.opencontainers.image.url': source,
          'org.opencontainers.image.version': o.tag,
        };
  return {
    tag: { name: o.tag, digest: o.digest },
    labels: { description: '', source: o.tag === '' ? '' : source, revision: o.tag === '' ? '' : o.revision, image_url: '', licenses: '', all_labels: all },
    manifest: { digest: o.digest, ...manifest, uri: `repositories/${o.namespace}/${o.name}/manifests/${o.digest}` },
  };
}

/** A GHCR `package` (or `registry_package`) delivery body, as a plain object. */
export function ghcrPackage<E extends PackageEventName = 'package'>(options: GhcrPackageOptions<E> = {}): PackageDelivery<E> {
  const event = (options.event ?? 'package') as E;
  const image = options.image ?? GHCR_IMAGE;
  const tag = options.tag ?? '1.2.3';
  const artifact = options.artifact ?? 'image';
  const split = splitImage(image);
  const namespace = split.namespace.toLowerCase();
  const name = split.name;
  const owner = options.owner ?? split.namespace;
  const ownerType = options.ownerType ?? 'Organization';
  const repo = options.repo === undefined ? name : options.repo;
  const digest = options.digest ?? `sha256:${hex(`${image}:${tag}:${artifact}`)}`;
  const revision = hex(`${owner}/${repo ?? name}@${tag}`, 40);
  const packageId = idOf(`package:${namespace}/${name}`, 7);
  const versionId = idOf(`version:${digest}`, 9);
  // GHCR lower-cases the whole reference, whatever casing the owner's login has.
  const packageUrl = options.packageUrl ?? `${image.toLowerCase()}:${tag}`;
  const packagePage = `${WEB}/${ownerType === 'Organization' ? 'orgs' : 'users'}/${owner}/packages/container`;
  const pkg: GitHubPackage = {
    id: packageId,
    name,
    namespace,
    description: '',
    ecosystem: 'CONTAINER',
    package_type: options.packageType ?? 'CONTAINER',
    html_url: `${packagePage}/package/${encodeURIComponent(name)}`,
    created_at: '2024-11-18T10:31:02Z',
    updated_at: before(1),
    owner: user(owner, ownerType),
    package_version: {
      id: versionId,
      version: digest,
      name: digest,
      description: '',
      summary: '',
      manifest: '',
      html_url: `${packagePage}/${encodeURIComponent(name)}/${versionId}`,
      target_commitish: 'main',
      target_oid: revision,
      created_at: '0001-01-01T00:00:00Z',
      updated_at: '0001-01-01T00:00:00Z',
      metadata: [],
      container_metadata: containerMetadata({ owner, repo, tag, digest, artifact, layers: options.layers ?? 5, revision, namespace, name }),
      package_files: [],
      author: user(options.sender ?? 'github-actions[bot]'),
      installation_command: `docker pull ${packageUrl}`,
      package_url: packageUrl,
    },
    registry: { about_url: 'https://docs.github.com/packages/working-with-a-github-packages-registry/working-with-the-container-registry', name: 'GitHub CONTAINER registry', type: 'CONTAINER', url: `https://CONTAINER.pkg.github.com/${namespace}`, vendor: 'GitHub Inc' },
  };
  return {
    action: options.action ?? 'published',
    [event]: pkg,
    ...context(owner, ownerType, repo, options.sender ?? 'github-actions[bot]', options.installationId),
  } as PackageDelivery<E>;
}

/** The same delivery as the JSON text GitHub sends (compact, as a `content_type: json` hook posts it). */
export function ghcrPackageJson<E extends PackageEventName = 'package'>(options: GhcrPackageOptions<E> = {}): string {
  return JSON.stringify(ghcrPackage(options));
}

// ---------------------------------------------------------------------------------------------------------------
// package / registry_package: an npm package (not a container; the relay acknowledges and ignores it)

export interface NpmPackageOptions<E extends PackageEventName = 'package'> {
  readonly event?: E;
  readonly action?: ActionOption;
  /** The unscoped package name; published as `@<owner>/<name>`. Default `flask-app-ui`. */
  readonly name?: string;
  /** Default `1.0.0`. */
  readonly version?: string;
  readonly owner?: string;
  readonly ownerType?: OwnerType;
  /** Linked repository; `null` for none. Default `flask-app`. */
  readonly repo?: string | null;
  readonly sender?: string;
  readonly installationId?: number;
  /** Attaches the GitHub release the version was published from (`tag_name`, `release`), as for a release workflow. */
  readonly release?: boolean;
}

/** A `package` (or `registry_package`) delivery for an npm package on npm.pkg.github.com. */
export function npmPackage<E extends PackageEventName = 'package'>(options: NpmPackageOptions<E> = {}): PackageDelivery<E> {
  const event = (options.event ?? 'package') as E;
  const owner = options.owner ?? OWNER;
  const ownerType = options.ownerType ?? 'Organization';
  const name = options.name ?? `${REPO}-ui`;
  const version = options.version ?? '1.0.0';
  const repo = options.repo === undefined ? REPO : options.repo;
  const scoped = `@${owner.toLowerCase()}/${name}`;
  const sender = options.sender ?? 'mara-lindqvist';
  const revision = hex(`${owner}/${repo ?? name}@v${version}`, 40);
  const packageId = idOf(`package:npm:${scoped}`, 7);
  const versionId = idOf(`version:npm:${scoped}@${version}`, 8);
  const packagePage = `${WEB}/${ownerType === 'Organization' ? 'orgs' : 'users'}/${owner}/packages/npm`;
  const tarball = `${name}-${version}.tgz`;
  const integrity = Buffer.from(hex(`${scoped}@${version}:sha512`, 128), 'hex').toString('base64');
  const manifest = {
    name: scoped,
    version,
    description: 'Browser widgets for the flask-app dashboard',
    main: 'dist/index.js',
    license: 'Apache-2.0',
    repository: { type: 'git', url: `git+${WEB}/${owner}/${repo ?? name}.git` },
    dist: { integrity: `sha512-${integrity}`, shasum: hex(`${scoped}@${version}:sha1`, 40), tarball: `https://npm.pkg.github.com/download/${scoped}/${version}/${hex(`${scoped}@${version}:blob`, 40)}` },
    gitHead: revision,
  };
  const readme = `# ${scoped}\n\nBrowser widgets for the ${REPO} dashboard.\n\n\`\`\`sh\nnpm install ${scoped}@${version}\n\`\`\`\n`;
  const packageVersion: PackageVersion = {
    id: versionId,
    version,
    name: scoped,
    description: manifest.description,
    summary: manifest.description,
    body: readme,
    body_html: `<h1>${scoped}</h1>\n<p>Browser widgets for the ${REPO} dashboard.</p>\n<pre><code class="language-sh">npm install ${scoped}@${version}\n</code></pre>\n`,
    manifest: JSON.stringify(manifest),
    html_url: `${packagePage}/${name}/${versionId}`,
    tag_name: `v${version}`,
    target_commitish: 'main',
    target_oid: revision,
    draft: false,
    prerelease: false,
    created_at: before(3),
    updated_at: before(3),
    metadata: [],
    docker_metadata: [],
    package_files: [
      {
        download_url: `https://npm.pkg.github.com/download/${scoped}/${version}/${hex(`${scoped}@${version}:blob`, 40)}`,
        id: idOf(`file:${scoped}@${version}`, 8),
        name: tarball,
        sha256: hex(`${scoped}@${version}:sha256`),
        sha1: manifest.dist.shasum,
        md5: hex(`${scoped}@${version}:md5`, 32),
        content_type: 'application/octet-stream',
        state: 'uploaded',
        size: 18_244,
        created_at: before(3),
        updated_at: before(3),
      },
    ],
    author: user(sender),
    installation_command: `npm install ${scoped}@${version}`,
    package_url: `npm.pkg.github.com/${scoped}@${version}`,
  };
  if (options.release === true) {
    const releaseId = idOf(`release:${scoped}@${version}`, 9);
    packageVersion.release = {
      url: `${API}/repos/${owner}/${repo ?? name}/releases/${releaseId}`,
      html_url: `${WEB}/${owner}/${repo ?? name}/releases/tag/v${version}`,
      id: releaseId,
      tag_name: `v${version}`,
      target_commitish: 'main',
      name: `v${version}`,
      draft: false,
      author: user(sender),
      prerelease: false,
      created_at: before(9),
      published_at: before(8),
    };
  }
  const pkg: GitHubPackage = {
    id: packageId,
    name,
    namespace: owner.toLowerCase(),
    description: manifest.description,
    ecosystem: 'npm',
    package_type: 'npm',
    html_url: `${packagePage}/package/${name}`,
    created_at: '2025-01-20T15:47:31Z',
    updated_at: before(3),
    owner: user(owner, ownerType),
    package_version: packageVersion,
    registry: { about_url: 'https://docs.github.com/packages/working-with-a-github-packages-registry/working-with-the-npm-registry', name: 'GitHub npm registry', type: 'npm', url: `https://npm.pkg.github.com/@${owner.toLowerCase()}`, vendor: 'GitHub Inc' },
  };
  return {
    action: options.action ?? 'published',
    [event]: pkg,
    ...context(owner, ownerType, repo, sender, options.installationId),
  } as PackageDelivery<E>;
}

export function npmPackageJson<E extends PackageEventName = 'package'>(options: NpmPackageOptions<E> = {}): string {
  return JSON.stringify(npmPackage(options));
}

// ---------------------------------------------------------------------------------------------------------------
// ping

/** Where the hook that pings is installed. */
export type HookKind = 'repository' | 'organization' | 'app';
export const HOOK_KINDS: readonly HookKind[] = ['repository', 'organization', 'app'];

export interface PingOptions {
  /** Default `repository`. */
  readonly hook?: HookKind;
  /** What the hook is subscribed to; default `['package']` (what the relay's docs tell operators to pick). */
  readonly events?: readonly string[];
  /** Default `json`. */
  readonly contentType?: 'json' | 'form';
  /** Default derived from the hook kind. */
  readonly hookId?: number;
  readonly owner?: string;
  readonly repo?: string;
  /** For `app` hooks; default derived. */
  readonly appId?: number;
  /** Where the hook posts; default the relay's public URL. */
  readonly url?: string;
}

const ZEN: Record<HookKind, string> = {
  repository: 'Small changes, shipped often, are easy to trust.',
  organization: 'A clear contract beats a clever workaround.',
  app: 'Answer fast; do the slow part later.',
};

/** A `ping` delivery body: GitHub sends one when a hook is created and when someone presses "Ping". */
export function ping(options: PingOptions = {}): PingDelivery {
  const kind = options.hook ?? 'repository';
  const owner = options.owner ?? OWNER;
  const repo = options.repo ?? REPO;
  const hookId = options.hookId ?? idOf(`hook:${kind}:${owner}/${repo}`, 9);
  const base = kind === 'repository' ? `${API}/repos/${owner}/${repo}/hooks/${hookId}` : kind === 'organization' ? `${API}/orgs/${owner}/hooks/${hookId}` : undefined;
  const hook: GitHubHook = {
    type: kind === 'repository' ? 'Repository' : kind === 'organization' ? 'Organization' : 'App',
    id: hookId,
    name: 'web',
    active: true,
    ...(kind === 'app' ? { app_id: options.appId ?? idOf(`app:${owner}`, 6) } : {}),
    events: [...(options.events ?? ['package'])],
    config: {
      content_type: options.contentType ?? 'json',
      insecure_ssl: '0',
      url: options.url ?? `https://relay.${owner}.example/webhooks/github`,
      ...(kind === 'repository' ? {} : { secret: '********' }),
    },
    updated_at: before(0.5),
    created_at: before(0.5),
    ...(base === undefined
      ? {}
      : { url: base, ...(kind === 'repository' ? { test_url: `${base}/test` } : {}), ping_url: `${base}/pings`, deliveries_url: `${base}/deliveries` }),
    ...(kind === 'repository' ? { last_response: { code: null, status: 'unused', message: null } } : {}),
  };
  return {
    zen: ZEN[kind],
    hook_id: hookId,
    hook,
    ...(kind === 'repository' ? { repository: repository(owner, repo) } : {}),
    ...(kind === 'organization' ? { organization: organization(owner) } : {}),
    sender: user(kind === 'app' ? 'mara-lindqvist' : 'devon-okafor'),
  };
}

export function pingJson(options: PingOptions = {}): string {
  return JSON.stringify(ping(options));
}
