// The container image's contents, proven where no container engine runs: the Dockerfile's own deploy line builds the
// production folder, which is moved to another path (as `COPY --from=build /out /app` does), made read-only and started
// with the Dockerfile's ENV, USER and CMD — as UID 1000 when the test runs as root (setpriv), else as the non-root user
// running it. It must answer /healthz and forward a signed GitHub delivery to a loopback Kargo receiver.
// Every command, path, variable and flag comes from apps/webhook-relay/Dockerfile, so the two cannot drift.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { delivery, SECRET, tempDir, waitFor } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { requireBuiltRelay } from './relay-process.ts';

const RELAY_DIR = resolve(import.meta.dirname, '..');
const REPO_ROOT = resolve(RELAY_DIR, '../..');
const DOCKERFILE = readFileSync(join(RELAY_DIR, 'Dockerfile'), 'utf8');
const IMAGE = 'ghcr.io/acme/shop';
const RECEIVER_SECRET = 'image-test-receiver-secret';

/** The Dockerfile's instructions per stage, continuation lines joined and comments dropped. */
function stages(text: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] = [];
  const joined = text.replace(/\\\n\s*/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)\s+AS\s+(\S+)$/i.exec(line);
    if (from !== null) {
      current = [line];
      result.set(from[2]!, current);
      continue;
    }
    current.push(line);
  }
  return result;
}

function one(lines: readonly string[], pattern: RegExp, what: string): RegExpExecArray {
  const found = lines.map((l) => pattern.exec(l)).filter((m) => m !== null);
  if (found.length !== 1) throw new Error(`apps/webhook-relay/Dockerfile: expected exactly one ${what}, found ${found.length}`);
  return found[0]!;
}

const STAGES = stages(DOCKERFILE);
const BUILD = STAGES.get('build') ?? [];
const RUNTIME = STAGES.get('runtime') ?? [];
// RUN npx -y pnpm@12 --filter @kargo/webhook-relay deploy --prod … /out
const DEPLOY = one(BUILD, /^RUN (npx -y pnpm@\d+ (?:\S+ )*deploy(?: \S+)*) (\/\S+)$/, 'RUN … deploy … <dir> line in the build stage');
const DEPLOY_ARGS = DEPLOY[1]!.split(' ');
const DEPLOY_OUT = DEPLOY[2]!;
const COPY = one(RUNTIME, /^COPY --from=build (?:--chown=\S+ )?(\S+) (\S+)$/, 'COPY --from=build line in the runtime stage');
const WORKDIR = one(RUNTIME, /^WORKDIR (\S+)$/, 'WORKDIR in the runtime stage')[1]!;
const USER = one(RUNTIME, /^USER (\d+):(\d+)$/, 'numeric USER uid:gid in the runtime stage');
const RUN_AS = { uid: Number(USER[1]), gid: Number(USER[2]) };
const CMD = JSON.parse(one(RUNTIME, /^CMD (\[.*\])$/, 'exec-form CMD in the runtime stage')[1]!) as string[];
const NODE_MAJOR = one(RUNTIME, /^FROM node:(\d+)\S* AS runtime$/, 'FROM node:<major>… AS runtime')[1]!;
const IMAGE_ENV: Record<string, string> = Object.fromEntries(
  RUNTIME.filter((l) => l.startsWith('ENV '))
    .flatMap((l) => l.slice(4).trim().split(/\s+/))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

/** Every file below `dir` (symlinks not followed), as paths relative to it. */
function walk(dir: string, limit = 200_000): string[] {
  const out: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      out.push(path);
      if (out.length > limit) throw new Error(`${dir}: more than ${limit} entries`);
      if (entry.isDirectory()) pending.push(path);
    }
  }
  return out;
}

const root = process.getuid?.() === 0;
let work: string;
let app: string;
let deployOutput = '';
let child: ChildProcess | undefined;
let peer: KargoReceiverPeer | undefined;

beforeAll(() => {
  requireBuiltRelay();
  work = tempDir('relay-image-');
  // mkdtemp makes the folder 0700; the image's user must be able to reach its /app, /data and config mounts.
  chmodSync(work, 0o755);
  if (root) {
    for (let dir = dirname(work); dir !== dirname(dir); dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) throw new Error(`${dir} cannot be entered by UID ${RUN_AS.uid} (mode ${(statSync(dir).mode & 0o777).toString(8)}): point TMPDIR at a folder every user can reach`);
    }
  }
  const out = join(work, 'build', DEPLOY_OUT.replace(/^\//, ''));
  mkdirSync(join(work, 'build'), { recursive: true });
  const [command, ...args] = DEPLOY_ARGS;
  const deploy = spawnSync(command!, [...args, out], { cwd: REPO_ROOT, env: { ...process.env, INIT_CWD: undefined, NO_COLOR: '1' }, encoding: 'utf8', timeout: 180_000 });
  deployOutput = `${deploy.stdout}\n${deploy.stderr}`;
  if (deploy.status !== 0) throw new Error(`\`${DEPLOY_ARGS.join(' ')} ${out}\` failed (${String(deploy.status ?? deploy.signal)}):\n${deployOutput}`);
  // COPY --from=build /out /app: the folder changes place, so anything pointing at the old path would break here too.
  app = join(work, 'image', COPY[2]!.replace(/^\//, ''));
  mkdirSync(join(app, '..'), { recursive: true });
  expect(COPY[1]).toBe(DEPLOY_OUT);
  renameSync(out, app);
}, 240_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await peer?.close();
  if (work !== undefined) {
    spawnSync('chmod', ['-R', 'u+w', work]);
    rmSync(work, { recursive: true, force: true });
  }
});

describe('the relay image, from the Dockerfile (no container engine needed)', () => {
  it('the deploy line builds a self-contained, platform-independent production folder', () => {
    expect(deployOutput).toMatch(/Done in/);
    expect(existsSync(join(app, CMD.at(-1)!))).toBe(true);
    const entries = walk(app);
    // Only what `files` in package.json lists (plus the manifest, README and the production dependencies).
    const top = readdirSync(app).sort();
    expect(top.filter((n) => !['node_modules', 'package.json', 'README.md', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'].includes(n))).toEqual(
      (JSON.parse(readFileSync(join(RELAY_DIR, 'package.json'), 'utf8')) as { files: string[] }).files.slice().sort(),
    );
    expect(entries.some((p) => /(^|\/)(test|bench|src)\//.test(p) && !p.startsWith('node_modules/'))).toBe(false);
    // Every link stays inside the folder (relative, resolving under it), so the copy at /app works.
    const links = entries.filter((p) => lstatSync(join(app, p)).isSymbolicLink());
    expect(links.length).toBeGreaterThan(0);
    const escaping = links.filter((p) => readlinkSync(join(app, p)).startsWith('/') || !realpathSync(join(app, p)).startsWith(app + sep));
    expect(escaping).toEqual([]);
    // No dev dependency came along.
    const dev = Object.keys((JSON.parse(readFileSync(join(RELAY_DIR, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    expect(dev.filter((name) => existsSync(join(app, 'node_modules', name)))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/@kargo/model/package.json'))).toBe(true);
    // No native addon and no platform-specific package: why the Dockerfile builds once, on the builder's platform.
    expect(entries.filter((p) => p.endsWith('.node'))).toEqual([]);
    const platformSpecific = entries
      .filter((p) => /node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/.test(p) && !p.includes('/node_modules/.bin/'))
      .filter((p) => {
        const manifest = JSON.parse(readFileSync(join(app, p), 'utf8')) as { os?: unknown; cpu?: unknown };
        return manifest.os !== undefined || manifest.cpu !== undefined;
      });
    expect(platformSpecific).toEqual([]);
  });

  it('starts with the image\'s CMD as a non-root user on a read-only tree, answers /healthz and forwards a signed delivery', async () => {
    expect(CMD[0]).toBe('node');
    expect(RUN_AS.uid).not.toBe(0);
    // The image's Node.js major (node:24-slim); the relay refuses anything older.
    expect(process.versions.node.split('.')[0]).toBe(NODE_MAJOR);
    // The image has its own node; this one is copied beside the folder so the image's user can run it wherever the
    // repository sits (the CI sandbox is 0700).
    const bin = join(work, 'image', 'usr-local-bin');
    mkdirSync(bin);
    const node = join(bin, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o555);

    // Read-only code (COPY --chown=root:root, readOnlyRootFilesystem) and the writable inbox volume.
    const user = root ? RUN_AS : { uid: process.getuid!(), gid: process.getgid!() };
    expect(user.uid).not.toBe(0);
    expect(spawnSync('chmod', ['-R', 'a-w', app]).status).toBe(0);
    const data = join(work, 'image', 'data');
    mkdirSync(data, { mode: 0o700 });
    if (root) chownSync(data, user.uid, user.gid);
    // The mounts the Kubernetes workload gives it: the routes file and the webhook secret file, read-only.
    const config = join(work, 'image', 'etc-relay');
    mkdirSync(config, { mode: 0o755 });
    peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: [{ namespace: 'shop', name: 'shop', repoURL: IMAGE }] });
    await peer.listen();
    writeFileSync(join(config, 'routes.yaml'), stringify({ routes: [{ image: IMAGE, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] }] }), { mode: 0o444 });
    writeFileSync(join(config, 'github-webhook-secrets'), SECRET, { mode: 0o444 });

    // The image's environment; only where it listens and where its volume sits are this machine's.
    const env: Record<string, string> = {
      PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      ...IMAGE_ENV,
      PORT: '0',
      HOST: '127.0.0.1',
      RELAY_DATA_DIR: data,
      RELAY_ROUTES_FILE: join(config, 'routes.yaml'),
      GITHUB_WEBHOOK_SECRETS_FILE: join(config, 'github-webhook-secrets'),
      KARGO_RECEIVER_SECRET: RECEIVER_SECRET,
    };
    expect(IMAGE_ENV).toMatchObject({ NODE_ENV: 'production', RELAY_DATA_DIR: expect.any(String) as string });
    const argv = [node, ...CMD.slice(1)];
    const [command, args] = root
      ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...argv]]
      : [argv[0]!, argv.slice(1)];
    const cwd = WORKDIR === COPY[2] ? app : join(work, 'image', WORKDIR);
    const relay = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = relay;
    const logs: string[] = [];
    relay.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
    let buffered = '';
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the relay did not start within 20 s:\n${logs.join('')}`)), 20_000);
      relay.stdout.on('data', (c: Buffer) => {
        buffered += c.toString();
        logs.push(c.toString());
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
        if (m !== null) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      });
      relay.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the relay exited with ${String(code)}:\n${logs.join('')}`));
      });
      relay.once('error', (cause) => {
        clearTimeout(timer);
        reject(new Error(`cannot start \`${command} ${args.join(' ')}\`: ${cause.message}`));
      });
    });

    // It is who the image says, not root.
    const status = readFileSync(`/proc/${relay.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(user.uid), String(user.uid)]);
    expect(/^Gid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(user.gid), String(user.gid)]);
    expect(realpathSync(`/proc/${relay.pid}/cwd`)).toBe(realpathSync(app));

    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: 'ok' });
    const ready = await request(`${url}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();

    // A delivery signed with another secret is refused; GitHub's signed one is stored and reaches Kargo's receiver.
    const forged = delivery('package', ghcrPackage({ image: IMAGE, tag: '2.0.0' }), { secret: 'not the secret' });
    const refused = await request(`${url}/webhooks/github`, { method: 'POST', headers: forged.headers, body: forged.body });
    expect(refused.statusCode).toBe(401);
    await refused.body.dump();
    const signed = delivery('package', ghcrPackage({ image: IMAGE, tag: '1.4.2' }));
    const accepted = await request(`${url}/webhooks/github`, { method: 'POST', headers: signed.headers, body: signed.body });
    expect(accepted.statusCode).toBe(202);
    await accepted.body.dump();
    await waitFor(() => peer!.received.length >= 1, 15_000, 'the forward to the Kargo receiver');
    expect(peer.received.map(({ deliveryId, image, tag, refreshed }) => ({ deliveryId, image, tag, refreshed }))).toEqual([
      { deliveryId: signed.headers['x-github-delivery'], image: IMAGE, tag: '1.4.2', refreshed: ['shop/shop'] },
    ]);

    // The inbox went to the volume, owned by the image's user; the code stayed read-only.
    const written = readdirSync(data);
    expect(written.length).toBeGreaterThan(0);
    for (const name of written) expect(statSync(join(data, name)).uid).toBe(user.uid);
    expect(statSync(join(app, CMD.at(-1)!)).mode & 0o222).toBe(0);

    // `docker stop` sends SIGTERM to node itself (exec-form CMD): the relay drains and exits 0.
    relay.kill('SIGTERM');
    const [code] = (await once(relay, 'exit')) as [number | null];
    expect(code, logs.join('')).toBe(0);
    expect(relative(app, cwd)).toBe('');
  }, 60_000);
});
