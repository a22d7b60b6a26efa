// The promotion steps a rehearsal executes, each following the Kargo v1.11.2 runner named beside it
// (pkg/promotion/runner/builtin/<file>.go), against the rehearsal's scratch remote instead of the real one.
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkApplication, criterionFor, findApplications, type AppUpdate, type NormalizeGit, type RepoServer } from './argocd.ts';
import { copyTree, ignoreMatcher, secureJoin, shown } from './files.ts';
import { authorEnv, KARGO_DEFAULT_AUTHOR, type Git } from './git.ts';
import type { KubeObject } from './objects.ts';
import { StepFailure, StepStatus, type ApplicationCheck, type HealthCriterion, type StepOutcome } from './types.ts';
import { setValuesInBytes, yamlUpdateCommitMessage, type YamlUpdate } from './yaml-update.ts';

/** A simulated pull request of the rehearsal's Git provider. */
export interface PullRequest {
  readonly number: number;
  readonly url: string;
  readonly title: string;
  readonly sourceBranch: string;
  readonly targetBranch: string;
  /** Head of the source branch when the pull request was opened. */
  readonly headCommit: string;
  readonly open: boolean;
  readonly merged: boolean;
  readonly mergeCommit?: string;
  /** The promotion that opened it. */
  readonly promotion: string;
}

/** What a step runner may use of the rehearsal and its promotion. */
export interface StepHost {
  readonly git: Git;
  /** The scratch remote's git dir serving `repoURL`, or undefined for any other repository. */
  readonly serve: RepoServer;
  readonly pipelineRepoURL: string;
  readonly normalizeGit: NormalizeGit;
  readonly objects: readonly KubeObject[];
  readonly project: string;
  readonly stage: string;
  readonly promotion: string;
  readonly workDir: string;
  /** Scratch folders that are not part of any promotion's work dir. */
  readonly scratchDir: string;
  readonly pullRequests: PullRequestProvider;
  /** Tells the rehearsal that `branch` of the scratch remote moved from `before` to `after`. */
  recordWrite(branch: string, before: string | undefined, after: string): void;
}

/** The rehearsal's stand-in for GitHub & co.: pull requests live in memory, merges are real Git merges. */
export interface PullRequestProvider {
  find(filter: { sourceBranch: string; targetBranch: string; headCommit: string }): PullRequest | undefined;
  open(pr: Omit<PullRequest, 'number' | 'url' | 'open' | 'merged'>, repoURL: string): PullRequest;
  get(number: number): PullRequest | undefined;
  /** The reviewer's decision for an open pull request. */
  review(pr: PullRequest): 'merge' | 'close';
  update(pr: PullRequest): void;
}

type Config = Readonly<Record<string, unknown>>;
export type StepRunner = (host: StepHost, config: Config) => Promise<StepOutcome>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const short = (sha: string | undefined): string => (sha === undefined ? '(none)' : sha.slice(0, 7));

function repoDir(host: StepHost, repoURL: string): string {
  const dir = host.serve(repoURL);
  if (dir === undefined) {
    throw new Error(`repository ${repoURL} is not served by the rehearsal: only the pipeline's git.repoURL (${host.pipelineRepoURL}) is, from --repo`);
  }
  return dir;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** git.LoadWorkTree: the folder must be (inside) a work tree a git-clone step made. */
async function workTree(host: StepHost, path: string): Promise<string> {
  const abs = secureJoin(host.workDir, path);
  const result = await host.git.run(['rev-parse', '--is-inside-work-tree'], { cwd: abs, okCodes: [0, 128] }).catch(() => undefined);
  if (result?.code !== 0 || result.stdout.trim() !== 'true') throw new Error(`error loading working tree from ${path}: not a working tree of a git-clone step`);
  return abs;
}

async function remoteHead(host: StepHost, cwd: string, branch: string): Promise<string | undefined> {
  const result = await host.git.run(['ls-remote', '--heads', '--exit-code', 'origin', `refs/heads/${branch}`], { cwd, okCodes: [0, 2] });
  if (result.code === 2) return undefined;
  return result.stdout.split(/\s/)[0] || undefined;
}

function kargoAuthor(author: unknown): { name: string; email: string } | undefined {
  if (!isRecord(author)) return undefined;
  // pkg/controller/git/base_repo.go setupUser: an empty name or email falls back to Kargo's defaults.
  return { name: str(author['name']) || KARGO_DEFAULT_AUTHOR.name, email: str(author['email']) || KARGO_DEFAULT_AUTHOR.email };
}

// --- git-clone (git_cloner.go) --------------------------------------------------------------------------------

/** ensureRemoteBranch: an existing branch is used; with `create`, an orphan branch with one empty commit is pushed. */
async function ensureRemoteBranch(host: StepHost, bare: string, branch: string, create: boolean, repoURL: string): Promise<boolean> {
  if ((await remoteHead(host, bare, branch)) !== undefined) return false;
  if (!create) {
    throw new Error(`error ensuring existence of remote branch ${branch}: remote branch "${branch}" of repo ${repoURL} does not exist; set create=true if you'd like a non-existent remote branch to be automatically created at checkout`);
  }
  // Kargo makes the orphan in a temporary work tree (`worktree add --orphan`, git ≥ 2.42); the same commit, an
  // empty tree with message "Initial commit", is made here with plumbing so any git works.
  const tree = (await host.git.run(['mktree'], { cwd: bare, input: '' })).stdout.trim();
  const commit = await host.git.out(['commit-tree', tree, '-m', 'Initial commit'], bare);
  await host.git.run(['update-ref', `refs/heads/${branch}`, commit], { cwd: bare });
  try {
    await host.git.run(['push', 'origin', `refs/heads/${branch}:refs/heads/${branch}`], { cwd: bare });
  } catch (error) {
    throw new Error(`error ensuring existence of remote branch ${branch}: error pushing initial commit to new branch "${branch}" to repo ${repoURL}: ${(error as Error).message}`, { cause: error });
  }
  host.recordWrite(branch, undefined, commit);
  return true;
}

const gitClone: StepRunner = async (host, config) => {
  const repoURL = str(config['repoURL']);
  const checkouts = Array.isArray(config['checkout']) ? config['checkout'].filter(isRecord) : [];
  const seen = new Set<string>();
  for (const [i, c] of checkouts.entries()) {
    const as = str(c['as']);
    if (as === '') continue;
    if (seen.has(as)) throw new StepFailure(`duplicate checkout alias ${JSON.stringify(as)} at checkout[${i}]`);
    seen.add(as);
  }
  const remote = repoDir(host, repoURL);
  const home = await mkdtemp(join(host.workDir, 'repo-'));
  const bare = join(home, 'repo');
  try {
    await host.git.run(['clone', '--bare', '--no-local', '--quiet', remote, bare], { cwd: home });
  } catch (error) {
    throw new Error(`error cloning ${repoURL}: ${(error as Error).message}`, { cause: error });
  }
  const author = kargoAuthor(config['author']);
  if (author !== undefined) {
    await host.git.run(['config', 'user.name', author.name], { cwd: bare });
    await host.git.run(['config', 'user.email', author.email], { cwd: bare });
  }
  const commits: Record<string, string> = {};
  const done: string[] = [];
  for (const c of checkouts) {
    const branch = str(c['branch']);
    const ref = branch !== '' ? branch : str(c['commit']) !== '' ? str(c['commit']) : str(c['tag']);
    let created = false;
    if (branch !== '') created = await ensureRemoteBranch(host, bare, branch, c['create'] === true, repoURL);
    const path = str(c['path']);
    const abs = secureJoin(host.workDir, path);
    try {
      await host.git.run(['worktree', 'add', '--quiet', abs, ref], { cwd: bare });
    } catch (error) {
      throw new Error(`error adding work tree ${path} to repo ${repoURL}: ${(error as Error).message}`, { cause: error });
    }
    const sparse = Array.isArray(c['sparse']) ? c['sparse'].map(str) : [];
    if (sparse.length > 0) {
      await host.git.run(['sparse-checkout', 'init', '--cone'], { cwd: abs });
      await host.git.run(['sparse-checkout', 'set', ...sparse], { cwd: abs });
    }
    const head = await host.git.out(['rev-parse', 'HEAD'], abs);
    commits[str(c['as']) || path] = head;
    done.push(`${ref}${created ? ' (created)' : ''} → ${path} @ ${short(head)}`);
  }
  return { status: StepStatus.Succeeded, detail: `cloned ${repoURL}: ${done.join(', ')}`, output: { commits } };
};

// --- git-clear (git_tree_clearer.go) ----------------------------------------------------------------------------

const gitClear: StepRunner = async (host, config) => {
  const path = str(config['path']);
  const abs = await workTree(host, path);
  // `git add .` first so untracked files are removed too, then `git rm -rf --ignore-unmatch .`.
  await host.git.run(['add', '.'], { cwd: abs });
  await host.git.run(['rm', '-rf', '--ignore-unmatch', '--quiet', '.'], { cwd: abs });
  return { status: StepStatus.Succeeded, detail: `cleared ${path}` };
};

// --- copy (file_copier.go) ----------------------------------------------------------------------------------------

const copy: StepRunner = async (host, config) => {
  const inPath = str(config['inPath']);
  const outPath = str(config['outPath']);
  const src = secureJoin(host.workDir, inPath);
  const dest = secureJoin(host.workDir, outPath);
  let files: number;
  try {
    files = await copyTree(src, dest, ignoreMatcher(typeof config['ignore'] === 'string' ? config['ignore'] : undefined));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? `lstat ${shown(host.workDir, src)}: no such file or directory` : e.message.replaceAll(host.workDir, '.');
    throw new Error(`failed to copy ${JSON.stringify(inPath)} to ${JSON.stringify(outPath)}: ${why}`, { cause: error });
  }
  return { status: StepStatus.Succeeded, detail: `copied ${inPath} → ${outPath} (${files} file${files === 1 ? '' : 's'})` };
};

// --- yaml-update (yaml_updater.go + pkg/yaml) ---------------------------------------------------------------------

const yamlUpdate: StepRunner = async (host, config) => {
  const path = str(config['path']);
  const updates: YamlUpdate[] = (Array.isArray(config['updates']) ? config['updates'].filter(isRecord) : []).map((u) => ({ key: str(u['key']), value: u['value'] }));
  if (updates.length === 0) return { status: StepStatus.Succeeded, detail: 'no updates' };
  const file = secureJoin(host.workDir, path);
  const wrap = (message: string): Error => new Error(`values file update failed: error updating image references in values file ${JSON.stringify(path)}: ${message}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw wrap(`error reading file ${JSON.stringify(path)}: open ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
  let out: Buffer;
  try {
    out = setValuesInBytes(bytes, updates);
  } catch (error) {
    throw wrap(`error mutating bytes: ${(error as Error).message}`);
  }
  await writeFile(file, out);
  const shownUpdates = updates.map((u) => `${u.key}=${JSON.stringify(u.value)}`).join(', ');
  return { status: StepStatus.Succeeded, detail: `${path}: ${shownUpdates}`, output: { commitMessage: yamlUpdateCommitMessage(path, updates) } };
};

// --- git-commit (git_commiter.go) ---------------------------------------------------------------------------------

const gitCommit: StepRunner = async (host, config) => {
  const path = str(config['path']);
  const abs = await workTree(host, path);
  await host.git.run(['add', '.'], { cwd: abs });
  const changed = (await host.git.out(['status', '-s'], abs)) !== '';
  if (changed) {
    const author = kargoAuthor(config['author']);
    await host.git.run(['commit', '--quiet', '-m', str(config['message'])], { cwd: abs, env: authorEnv(author) });
  }
  const commit = await host.git.out(['rev-parse', 'HEAD'], abs);
  return changed
    ? { status: StepStatus.Succeeded, detail: `committed ${short(commit)}`, output: { commit } }
    : { status: StepStatus.Skipped, detail: `nothing to commit; HEAD is ${short(commit)}`, output: { commit } };
};

// --- git-push (git_pusher.go + pkg/controller/git work_tree.go Push, remote_commit_integration.go) ----------------

/** Kargo's default GIT_PUSH_INTEGRATION_POLICY is AlwaysRebase: `git pull --rebase origin <branch>` before a push. */
const NON_FAST_FORWARD = /non-fast-forward|fetch first|\(rejected\)|failed to update ref|cannot lock ref/;

function commitURL(repoURL: string, commit: string): string | undefined {
  const m = /^https?:\/\/(github\.com|gitlab\.com)\/(.+?)(?:\.git)?\/?$/.exec(repoURL);
  if (m === null) return undefined;
  return m[1] === 'github.com' ? `https://github.com/${m[2]}/commit/${commit}` : `https://gitlab.com/${m[2]}/-/commit/${commit}`;
}

const gitPush: StepRunner = async (host, config) => {
  const path = str(config['path']);
  const abs = await workTree(host, path);
  let target = str(config['targetBranch']);
  let force = config['force'] === true;
  const generated = config['generateTargetBranch'] === true;
  if (generated) {
    // Named after the Promotion, assumed new: pushed with force (git_pusher.go).
    target = `kargo/promotion/${host.promotion}`;
    force = true;
  }
  const tag = str(config['tag']);
  if (target === '') target = await host.git.out(['branch', '--show-current'], abs);
  if (tag !== '') {
    await host.git.run(['push', 'origin', 'tag', tag], { cwd: abs });
  } else {
    const attempts = typeof config['maxAttempts'] === 'number' ? config['maxAttempts'] : 10;
    for (let attempt = 1; ; attempt++) {
      if (!force && (await remoteHead(host, abs, target)) !== undefined) {
        try {
          await host.git.run(['pull', '--rebase', '--quiet', 'origin', target], { cwd: abs });
        } catch (error) {
          const rebasing = await Promise.all(['rebase-merge', 'rebase-apply'].map(async (d) => exists(join(abs, await host.git.out(['rev-parse', '--git-path', d], abs)))));
          if (rebasing.some(Boolean)) {
            await host.git.run(['rebase', '--abort'], { cwd: abs, okCodes: [0, 1, 128] });
            throw new StepFailure(`error pushing commits to remote: merge conflict while rebasing onto ${target}`);
          }
          throw new Error(`error pushing commits to remote: error pulling and rebasing branch: ${(error as Error).message}`, { cause: error });
        }
      }
      const before = await remoteHead(host, abs, target);
      try {
        await host.git.run(['push', 'origin', `HEAD:${target}`, ...(force ? ['--force'] : [])], { cwd: abs });
        const after = await host.git.out(['rev-parse', 'HEAD'], abs);
        if (after !== before) host.recordWrite(target, before, after);
        break;
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? '';
        if (NON_FAST_FORWARD.test(stderr) && attempt < attempts) continue;
        throw new Error(`error pushing commits to remote: error pushing branch: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const commit = await host.git.out(['rev-parse', 'HEAD'], abs);
  const url = commitURL(host.pipelineRepoURL, commit);
  return {
    status: StepStatus.Succeeded,
    detail: tag !== '' ? `pushed tag ${tag}` : `pushed ${short(commit)} to ${target}${generated ? ' (generated, forced)' : ''}`,
    output: { commit, ...(target === '' ? {} : { branch: target }), ...(url === undefined ? {} : { commitURL: url }) },
  };
};

// --- git-open-pr (git_pr_opener.go), against the simulated provider ------------------------------------------------

const gitOpenPr: StepRunner = async (host, config) => {
  const repoURL = str(config['repoURL']);
  const remote = repoDir(host, repoURL);
  const source = str(config['sourceBranch']);
  const target = str(config['targetBranch']);
  const sourceHead = await host.git.resolveCommit(remote, `refs/heads/${source}`);
  if (sourceHead === undefined) throw new Error(`error cloning ${repoURL}: Remote branch ${source} not found in upstream origin`);
  // An identical pull request (same branches, same head commit) that is open or merged is adopted.
  const existing = host.pullRequests.find({ sourceBranch: source, targetBranch: target, headCommit: sourceHead });
  if (existing !== undefined && (existing.open || existing.merged)) {
    return { status: StepStatus.Succeeded, detail: `adopted pull request #${existing.number}`, output: { pr: { id: existing.number, url: existing.url } } };
  }
  if (!(await host.git.branchExists(remote, target))) throw new Error(`target branch ${JSON.stringify(target)} does not exist`);
  const diff = await host.git.run(['diff', '--quiet', `refs/heads/${source}..refs/heads/${target}`, '--'], { cwd: remote, okCodes: [0, 1] });
  if (diff.code === 0) return { status: StepStatus.Skipped, detail: `${source} and ${target} hold the same files: no pull request` };
  const message = await host.git.out(['log', '-1', '--format=%B', sourceHead], remote);
  const title = str(config['title']) || (message.split('\n')[0] ?? '');
  const pr = host.pullRequests.open({ title, sourceBranch: source, targetBranch: target, headCommit: sourceHead, promotion: host.promotion }, repoURL);
  return { status: StepStatus.Succeeded, detail: `opened pull request #${pr.number} ${source} → ${target} (simulated)`, output: { pr: { id: pr.number, url: pr.url } } };
};

// --- git-wait-for-pr (git_pr_waiter.go): the simulated reviewer decides at once -------------------------------------

async function mergePullRequest(host: StepHost, remote: string, pr: PullRequest): Promise<string> {
  const dir = await mkdtemp(join(host.scratchDir, 'merge-'));
  try {
    await host.git.run(['clone', '--no-local', '--quiet', '--branch', pr.targetBranch, remote, 'wt'], { cwd: dir });
    const wt = join(dir, 'wt');
    for (let attempt = 1; ; attempt++) {
      const before = await host.git.out(['rev-parse', 'HEAD'], wt);
      try {
        await host.git.run(['merge', '--no-ff', '--no-edit', '-m', `Merge pull request #${pr.number} from ${pr.sourceBranch}\n\n${pr.title}`, `origin/${pr.sourceBranch}`], { cwd: wt });
      } catch (error) {
        await host.git.run(['merge', '--abort'], { cwd: wt, okCodes: [0, 1, 128] });
        throw new Error(`pull request #${pr.number} cannot be merged into ${pr.targetBranch} (conflict): Kargo would wait for it until the step times out`, { cause: error });
      }
      const merge = await host.git.out(['rev-parse', 'HEAD'], wt);
      try {
        await host.git.run(['push', '--quiet', 'origin', `HEAD:${pr.targetBranch}`], { cwd: wt });
        host.recordWrite(pr.targetBranch, before, merge);
        return merge;
      } catch (error) {
        if (attempt >= 5) throw error;
        await host.git.run(['fetch', '--quiet', 'origin'], { cwd: wt });
        await host.git.run(['reset', '--hard', '--quiet', `origin/${pr.targetBranch}`], { cwd: wt });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const gitWaitForPr: StepRunner = async (host, config) => {
  const repoURL = str(config['repoURL']);
  const remote = repoDir(host, repoURL);
  const number = typeof config['prNumber'] === 'number' ? config['prNumber'] : NaN;
  let pr = host.pullRequests.get(number);
  if (pr === undefined) throw new Error(`error getting pull request ${number}: not found`);
  if (pr.open) {
    const decision = host.pullRequests.review(pr);
    if (decision === 'merge') {
      const mergeCommit = await mergePullRequest(host, remote, pr);
      pr = { ...pr, open: false, merged: true, mergeCommit };
    } else pr = { ...pr, open: false, merged: false };
    host.pullRequests.update(pr);
  }
  const output = { pr: { id: pr.number, url: pr.url, open: pr.open, merged: pr.merged }, ...(pr.mergeCommit === undefined ? {} : { commit: pr.mergeCommit }) };
  if (!pr.merged) throw Object.assign(new StepFailure(`pull request ${pr.number} was closed without being merged`), { output });
  return { status: StepStatus.Succeeded, detail: `pull request #${pr.number} merged into ${pr.targetBranch} as ${short(pr.mergeCommit)} (simulated review)`, output };
};

// --- argocd-update (argocd_updater.go), checked instead of synced ---------------------------------------------------

const argocdUpdate: StepRunner = async (host, config) => {
  const apps: AppUpdate[] = (Array.isArray(config['apps']) ? config['apps'].filter(isRecord) : []).map((a) => a as AppUpdate);
  const health: HealthCriterion[] = [];
  const checks: ApplicationCheck[] = [];
  const notes: string[] = [];
  for (const update of apps) {
    for (const app of findApplications(update, host.objects, host.project, host.stage)) {
      const { criterion, notes: n } = criterionFor(update, app, host.normalizeGit);
      notes.push(...n);
      health.push(criterion);
      checks.push(await checkApplication(host.git, app, criterion, host.serve));
    }
  }
  const failed = checks.find((c) => !c.ok);
  if (failed !== undefined) throw new Error(failed.reason ?? `Application ${failed.name} would not deploy`);
  const detail = `checked ${checks.map((c) => `${c.name} (${c.sources.filter((s) => s.status === 'checked').map((s) => s.detail).join('; ') || 'no source of this repository'})`).join(', ')}${notes.length === 0 ? '' : `; ${notes.join('; ')}`}`;
  return { status: StepStatus.Succeeded, detail, health };
};

/** The runners by step kind. */
export const STEP_RUNNERS: Readonly<Record<string, StepRunner>> = {
  'git-clone': gitClone,
  'git-clear': gitClear,
  copy,
  'yaml-update': yamlUpdate,
  'git-commit': gitCommit,
  'git-push': gitPush,
  'git-open-pr': gitOpenPr,
  'git-wait-for-pr': gitWaitForPr,
  'argocd-update': argocdUpdate,
};

const NOT_REHEARSED: Readonly<Record<string, string>> = {
  http: 'sends an HTTP request; notifications and webhooks are not sent in a rehearsal',
  'http-download': 'downloads from a URL; a rehearsal reaches no network service',
  'oci-download': 'pulls from an OCI registry; a rehearsal reaches no registry',
  'oci-push': 'pushes to an OCI registry; a rehearsal reaches no registry',
  'helm-template': 'runs Helm; a rehearsal only checks that the chart and value files exist',
  'helm-update-chart': 'updates chart dependencies from Helm repositories',
  'kustomize-build': 'runs Kustomize',
  'kustomize-set-image': 'edits a kustomization',
  'argocd-wait': 'waits on a live Argo CD',
  'set-metadata': 'changes Kargo objects',
  'set-freight-alias': 'changes Kargo objects',
  'github-push': 'pushes through the GitHub API',
  'git-merge-pr': 'merges through the Git provider API',
};

/** Why a step kind is reported `Skipped` instead of executed. */
export function notRehearsedReason(uses: string): string {
  return NOT_REHEARSED[uses] ?? `${uses} is not executed by kargo-env rehearse`;
}
