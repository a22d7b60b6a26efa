// `pnpm bench`: the relay with its durable inbox against a bare node:http baseline, same run, on loopback.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { request } from 'undici';
import { stringify } from 'yaml';
import { sign } from '../src/github.ts';
import { ghcrPackageJson } from '../test/github-payloads.ts';

const SECRET = 'bench-webhook-secret';
const RECEIVER_SECRET = 'bench-receiver-secret';
const IMAGES = Array.from({ length: 64 }, (_, i) => `ghcr.io/acme/service-${i}`);
const SATURATION_S = 10;
const STEADY_S = 5;
const STEADY_ROUNDS = 3;

/** A realistic GHCR `package` delivery (~12 KB of compact JSON, as GitHub sends it). */
function bodyFor(i: number, tag: string): string {
  return ghcrPackageJson({ image: IMAGES[i % IMAGES.length]!, tag });
}

const children: ChildProcess[] = [];
const line = (s: string) => process.stdout.write(`${s}\n`);
/**
 * The relay is started the way it is deployed: the Node flags of the Dockerfile's CMD and its MALLOC_ARENA_MAX,
 * read from the Dockerfile itself so the two cannot drift (RELAY_BENCH_NODE_FLAGS overrides, for experiments).
 */
const DOCKERFILE = readFileSync(resolve(import.meta.dirname, '../Dockerfile'), 'utf8');
const CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(DOCKERFILE)?.[1] ?? '[]') as string[];
const RELAY_NODE_FLAGS =
  process.env.RELAY_BENCH_NODE_FLAGS === undefined ? CMD.slice(1, CMD.indexOf('dist/main.js')) : process.env.RELAY_BENCH_NODE_FLAGS.split(' ').filter((f) => f !== '');
const RELAY_DEPLOY_ENV: Record<string, string> = { MALLOC_ARENA_MAX: /MALLOC_ARENA_MAX=(\d+)/.exec(DOCKERFILE)?.[1] ?? '' };
if (RELAY_DEPLOY_ENV.MALLOC_ARENA_MAX === '') delete RELAY_DEPLOY_ENV.MALLOC_ARENA_MAX;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts a server process and waits (bounded) until it answers on `port`. */
async function spawnServer(cmd: string[], env: Record<string, string>, probePath: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, cmd, { env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await request(`http://127.0.0.1:${port}${probePath}`);
      await res.body.dump();
      return { child, port };
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server ${cmd.join(' ')} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** CPU ticks (user + system, USER_HZ = 100) per thread name of a process: MainThread, WorkerThread, V8Worker, … */
function threadTicks(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = (/\((.*)\)/.exec(stat)?.[1] ?? '?').replace(/[\d-]+$/, '') || 'node';
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(name, (ticks.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

const totalTicks = (pid: number) => [...threadTicks(pid).values()].reduce((a, b) => a + b, 0);

/**
 * Runs `load` and returns what it returned plus the CPU µs per 2xx spent by `pid` (per thread name), and by this
 * process and the `helpers` (the load side: generator, Kargo peer).
 */
async function withCpu(pid: number, helpers: readonly number[], load: () => Promise<Result>): Promise<{ result: Result; server: Map<string, number>; serverTotal: number; here: number }> {
  const before = threadTicks(pid);
  const helpersBefore = helpers.map(totalTicks);
  const hereBefore = process.cpuUsage();
  const result = await load();
  const hereUsage = process.cpuUsage(hereBefore);
  const helperTicks = helpers.reduce((sum, h, i) => sum + totalTicks(h) - helpersBefore[i]!, 0);
  const here = { user: hereUsage.user + (helperTicks / 100) * 1e6, system: hereUsage.system };
  const after = threadTicks(pid);
  const acks = Math.max(result['2xx'], 1);
  const server = new Map<string, number>();
  for (const [name, t] of after) {
    const us = (((t - (before.get(name) ?? 0)) / 100) * 1e6) / acks;
    if (us >= 1) server.set(name, us);
  }
  const serverTotal = [...server.values()].reduce((a, b) => a + b, 0);
  return { result, server, serverTotal, here: (here.user + here.system) / acks };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function cannon(port: number, bodies: string[], options: { connections: number; duration?: number; amount?: number; overallRate?: number }): Promise<Result> {
  let n = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}/webhooks/github`,
    method: 'POST',
    connections: options.connections,
    ...(options.duration === undefined ? {} : { duration: options.duration }),
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    requests: [
      {
        setupRequest: (req) => {
          const body = bodies[n++ % bodies.length]!;
          return {
            ...req,
            body,
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'package',
              'x-github-delivery': randomUUID(),
              'x-hub-signature-256': sign(SECRET, body),
            },
          };
        },
      },
    ],
  });
}

function summary(r: Result): { ok: number; rate: number; p50: number; p99: number; errors: number } {
  const ok = r['2xx'];
  return { ok, rate: ok / r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts };
}

async function pendingJobs(port: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}/metrics`);
  const text = await res.body.text();
  return Number(/^relay_inbox_pending_jobs (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

/** Waits until the relay reports no pending jobs; says so when it does not within the bound. */
async function drained(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = NaN;
  while (Date.now() < deadline) {
    pending = await pendingJobs(port);
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  line(`   ! not drained after ${timeoutMs} ms: relay_inbox_pending_jobs ${pending}`);
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
const peerChild = fork(resolve(import.meta.dirname, 'peer-process.ts'), [RECEIVER_SECRET, IMAGES.join(',')], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
children.push(peerChild);
const peer = {
  url: await new Promise<string>((ok, fail) => {
    peerChild.once('message', (m: { url: string }) => ok(m.url));
    peerChild.once('exit', (code) => fail(new Error(`the Kargo peer exited with ${code}`)));
  }),
  /** Forwards the peer received from index `from` on, with its clock's arrival times. */
  received(from: number): Promise<{ received: { deliveryId: string | undefined; at: number }[]; total: number }> {
    return new Promise((ok) => {
      peerChild.once('message', ok);
      peerChild.send({ op: 'received', from });
    });
  },
};
const routesFile = join(dir, 'routes.yaml');
writeFileSync(routesFile, stringify({ routes: IMAGES.map((image) => ({ image, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] })) }));
const bodies = Array.from({ length: 256 }, (_, i) => bodyFor(i, `1.${i}.0`));

const relayEnv = (data: string, windowMs: string) => ({
  ...RELAY_DEPLOY_ENV,
  HOST: '127.0.0.1',
  // The production default: one JSON line per delivery (to /dev/null here), so logging is in the measurement.
  LOG_LEVEL: 'info',
  GITHUB_WEBHOOK_SECRETS: SECRET,
  RELAY_ROUTES_FILE: routesFile,
  RELAY_DATA_DIR: join(dir, data),
  KARGO_RECEIVER_SECRET: RECEIVER_SECRET,
  RELAY_COALESCE_WINDOW_MS: windowMs,
  RELAY_MAX_PENDING: '1000000',
  RELAY_RATE_LIMIT_PER_MINUTE: '10000000',
});
const main = resolve(import.meta.dirname, '../dist/main.js');
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
const relay = await spawnServer([...RELAY_NODE_FLAGS, main], relayEnv('data', '2000'), '/healthz');
const bare = await spawnServer([resolve(import.meta.dirname, 'bare-server.ts'), SECRET], {}, '/');

line(`webhook-relay benchmark — loopback, body ${Buffer.byteLength(bodies[0]!)} bytes, unique X-GitHub-Delivery per request, node ${process.version}, ${availableParallelism()} CPUs`);
line(
  `relay and bare server are child processes; the relay is started as deployed (Dockerfile CMD flags: ${RELAY_NODE_FLAGS.join(' ') || 'none'}; env ${Object.entries(RELAY_DEPLOY_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}; LOG_LEVEL=info), the bare server with plain node, the Kargo receiver peer in a third; the load generator runs here`,
);
try {
  // Warm both up (JIT, connections, SQLite pages).
  await cannon(relay.port, bodies, { connections: 16, duration: 2 });
  await cannon(bare.port, bodies, { connections: 16, duration: 2 });

  line(`\n1) saturation, 64 connections, ${SATURATION_S} s each`);
  const relayCpu = await withCpu(relay.child.pid!, [peerChild.pid!], () => cannon(relay.port, bodies, { connections: 64, duration: SATURATION_S }));
  const bareCpu = await withCpu(bare.child.pid!, [peerChild.pid!], () => cannon(bare.port, bodies, { connections: 64, duration: SATURATION_S }));
  const relaySat = summary(relayCpu.result);
  const bareSat = summary(bareCpu.result);
  for (const [name, s] of [['relay (durable inbox)', relaySat], ['bare node:http', bareSat]] as const) {
    line(`   ${name.padEnd(22)} ${s.rate.toFixed(0).padStart(7)} acks/s   p50 ${String(s.p50).padStart(4)} ms   p99 ${String(s.p99).padStart(4)} ms   non-2xx/errors ${s.errors}`);
  }
  const satRatio = relaySat.rate / bareSat.rate;
  line(`   ratio relay/bare: ${satRatio.toFixed(2)}  (goal ≥ 0.6 ${mark(satRatio >= 0.6)})`);
  // Where the CPU went: the servers, the peer and this process (the load generator) share the machine's CPUs, so
  // when both runs are CPU-bound the ratio cannot exceed (bare + its load) / (relay + its load), per acknowledgement.
  const threads = [...relayCpu.server].sort((a, b) => b[1] - a[1]).map(([name, us]) => `${name} ${us.toFixed(0)}`).join(', ');
  line(`   CPU per acknowledgement: relay ${relayCpu.serverTotal.toFixed(0)} µs (${threads}), bare ${bareCpu.serverTotal.toFixed(0)} µs; load generator and peer ${relayCpu.here.toFixed(0)} / ${bareCpu.here.toFixed(0)} µs`);
  const ceiling = (bareCpu.serverTotal + bareCpu.here) / (relayCpu.serverTotal + relayCpu.here);
  line(`   ratio a fully CPU-bound run on ${availableParallelism()} CPUs would allow: ${ceiling.toFixed(2)}`);
  await drained(relay.port, 30_000);

  // Alternating rounds, medians: a p99 of a few thousand requests in whole ms moves by several ms between two runs
  // of the same server (the load generator shares the CPUs); one long run each would compare two draws of that noise.
  line(`\n2) steady 2,000 deliveries/s over 16 connections: ${STEADY_ROUNDS} alternating rounds of ${STEADY_S} s, medians`);
  const relayRounds: ReturnType<typeof summary>[] = [];
  const bareRounds: ReturnType<typeof summary>[] = [];
  for (let round = 0; round < STEADY_ROUNDS; round++) {
    const order = round % 2 === 0 ? (['relay', 'bare'] as const) : (['bare', 'relay'] as const);
    for (const which of order) {
      const r = summary(await cannon(which === 'relay' ? relay.port : bare.port, bodies, { connections: 16, duration: STEADY_S, overallRate: 2000 }));
      (which === 'relay' ? relayRounds : bareRounds).push(r);
      if (which === 'relay') await drained(relay.port, 30_000);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const relayP99 = median(relayRounds.map((r) => r.p99));
  const bareP99 = median(bareRounds.map((r) => r.p99));
  const steadyRatio = relayP99 / Math.max(bareP99, 1);
  const rounds = (rs: ReturnType<typeof summary>[]) => rs.map((r) => `${r.p50}/${r.p99}`).join(', ');
  line(`   relay p50/p99 per round ${rounds(relayRounds)} ms (non-2xx/errors ${relayRounds.reduce((n, r) => n + r.errors, 0)})   bare ${rounds(bareRounds)} ms`);
  line(`   median p99 relay ${relayP99} ms, bare ${bareP99} ms → ratio ${steadyRatio.toFixed(2)}  (goal ≤ 1.5 ${mark(steadyRatio <= 1.5)}; whole ms)`);
  await drained(relay.port, 30_000);
  relay.child.kill('SIGTERM');

  // Push→forward needs no coalescing window (the default 2 s window delays every forward by design).
  const fast = await spawnServer([...RELAY_NODE_FLAGS, main], relayEnv('data-p2f', '0'), '/healthz');
  const bootRss = rssMb(fast.child.pid!);
  line('\n3) push→forward with a healthy receiver: 2,000 deliveries at 200/s, RELAY_COALESCE_WINDOW_MS=0');
  const sentAt = new Map<string, number>();
  const before = (await peer.received(0)).total;
  const start = performance.now() + 50;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 2000; i++) {
    const wait = start + i * 5 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = bodyFor(i, `2.${i}.0`);
    const id = randomUUID();
    sentAt.set(id, Date.now());
    sends.push(
      request(`http://127.0.0.1:${fast.port}/webhooks/github`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'package', 'x-github-delivery': id, 'x-hub-signature-256': sign(SECRET, body) },
      }).then((r) => r.body.dump()),
    );
  }
  await Promise.all(sends);
  await drained(fast.port, 30_000);
  const latencies = (await peer.received(before)).received
    .map((r) => (r.deliveryId === undefined ? undefined : r.at - (sentAt.get(r.deliveryId) ?? NaN)))
    .filter((v): v is number => v !== undefined && !Number.isNaN(v));
  const p2f = percentile(latencies, 99);
  line(`   forwarded ${latencies.length} (others coalesced)   p50 ${percentile(latencies, 50)} ms   p99 ${p2f} ms  (goal ≤ 100 ms ${mark(p2f <= 100)})`);

  line('\n4) flood: 20,000 deliveries, 64 connections, relay RSS sampled every 100 ms');
  let peak = rssMb(fast.child.pid!);
  const startRss = peak;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(fast.child.pid!));
  }, 100);
  const flood = summary(await cannon(fast.port, bodies, { connections: 64, amount: 20_000 }));
  await drained(fast.port, 60_000);
  clearInterval(sampler);
  line(
    `   acknowledged ${flood.ok} at ${flood.rate.toFixed(0)}/s (non-2xx/errors ${flood.errors})   relay RSS at boot ${bootRss.toFixed(0)} MB, flood start ${startRss.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, after drain ${rssMb(fast.child.pid!).toFixed(0)} MB  (goal ≤ 200 MB ${mark(peak <= 200)})`,
  );
  fast.child.kill('SIGTERM');
} finally {
  relay.child.kill('SIGTERM');
  bare.child.kill('SIGTERM');
  peerChild.send({ op: 'close' });
  rmSync(dir, { recursive: true, force: true });
}
