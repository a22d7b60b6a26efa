// `node bench/thread-cpu.ts`: CPU µs per acknowledged delivery, per relay thread (from /proc), under 64-connection load.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { stringify } from 'yaml';
import { sign } from '../src/github.ts';
import { ghcrPackageJson } from '../test/github-payloads.ts';

const SECRET = 's';
const IMAGES = Array.from({ length: 64 }, (_, i) => `ghcr.io/acme/service-${i}`);
const dir = mkdtempSync(join(tmpdir(), 'relay-cpu-'));
const routesFile = join(dir, 'routes.yaml');
writeFileSync(routesFile, stringify({ routes: IMAGES.map((image) => ({ image, targets: [{ log: {} }] })) }));
const bodies = Array.from({ length: 256 }, (_, i) => ghcrPackageJson({ image: IMAGES[i % 64]!, tag: `1.${i}.0` }));
// The Dockerfile's CMD flags, as `pnpm bench` uses them; RELAY_BENCH_NODE_FLAGS overrides, for experiments.
const CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync(resolve(import.meta.dirname, '../Dockerfile'), 'utf8'))?.[1] ?? '[]') as string[];
const flags = process.env.RELAY_BENCH_NODE_FLAGS === undefined ? CMD.slice(1, CMD.indexOf('dist/main.js')) : process.env.RELAY_BENCH_NODE_FLAGS.split(' ').filter((f) => f !== '');
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, [...flags, resolve(import.meta.dirname, '../dist/main.js')], {
  env: { PATH: process.env.PATH ?? '', MALLOC_ARENA_MAX: '2', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: routesFile, RELAY_DATA_DIR: join(dir, 'data'), RELAY_COALESCE_WINDOW_MS: '2000', RELAY_MAX_PENDING: '1000000', RELAY_RATE_LIMIT_PER_MINUTE: '10000000' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const deadline = Date.now() + 15_000;
for (;;) {
  try {
    await (await request(`http://127.0.0.1:${port}/healthz`)).body.dump();
    break;
  } catch {
    if (Date.now() > deadline) throw new Error('no start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
const tick = 100; // USER_HZ
function threads(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const t of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/task/${t}/stat`, 'utf8');
      const comm = /\((.*)\)/.exec(stat)?.[1] ?? '?';
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${t}:${comm}`, [Number(rest[11]), Number(rest[12])]);
    } catch {
      // thread gone
    }
  }
  return out;
}
async function load(duration: number, connections: number, overallRate?: number): Promise<number> {
  let n = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/webhooks/github`, method: 'POST', connections, duration, ...(overallRate === undefined ? {} : { overallRate }),
    requests: [{ setupRequest: (req) => { const body = bodies[n++ % bodies.length]!; return { ...req, body, headers: { 'content-type': 'application/json', 'x-github-event': 'package', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(SECRET, body) } }; } }],
  });
  process.stdout.write(`  ${(r['2xx'] / r.duration).toFixed(0)} acks/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx + r.errors}\n`);
  return r['2xx'];
}
await load(2, 16);
const a = threads();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}, 100);
const acks = process.env.RATE === undefined ? await load(Number(process.env.SECS ?? 8), 64) : await load(Number(process.env.SECS ?? 8), 16, Number(process.env.RATE));
const b = threads();
clearInterval(sampler);
const groups = new Map<string, [number, number]>();
for (const [k, [u, s]] of b) {
  const [u0, s0] = a.get(k) ?? [0, 0];
  const name = k.split(':')[1]!.replace(/\d+$/, '');
  const g = groups.get(name) ?? [0, 0];
  groups.set(name, [g[0] + (u - u0), g[1] + (s - s0)]);
}
let total = 0;
for (const [name, [u, s]] of [...groups].sort()) {
  const per = (x: number) => ((x / tick) * 1e6) / acks;
  total += per(u + s);
  if (u + s > 0) process.stdout.write(`  ${name.padEnd(18)} user ${per(u).toFixed(0).padStart(4)} sys ${per(s).toFixed(0).padStart(4)} µs/ack\n`);
}
process.stdout.write(`  total ${total.toFixed(0)} µs/ack, peak RSS ${peakRss.toFixed(0)} MB\n`);
child.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
