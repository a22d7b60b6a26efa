// `node bench/attack.ts` (after build, on the workspace's Node 24): hostile, unsigned traffic against the built relay,
// started as a child process on 127.0.0.1 exactly as the Dockerfile starts it. Reproduces three pre-auth attacks and
// prints what they cost:
//   1. memory: ATTACK_SOCKETS sockets each declaring a 1 MiB body and sending 1 MiB − 1 bytes of it, once without a
//      signature and once with a well-formed but wrong one (RSS before / peak during / after, and the answers);
//   2. slow senders: bodies and headers at 1 byte/s (when the relay cuts them, against its configured timeouts);
//   3. metric series: ATTACK_REQUESTS unsigned requests with random X-GitHub-Event values (/metrics size and series).
// Everything is bounded: socket counts, request counts, and each phase's time (ATTACK_SLOW_MAX_S caps the slow
// senders). Environment: ATTACK_SOCKETS (300), ATTACK_REQUESTS (3000), ATTACK_SLOW_MAX_S (120), ATTACK_SLOW_SOCKETS
// (3), and ATTACK_RELAY_ENV='NAME=value NAME=value' for extra relay settings.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { sign } from '../src/github.ts';
import { ghcrPackageJson } from '../test/github-payloads.ts';

const SECRET = 'attack-webhook-secret';
const IMAGE = 'ghcr.io/acme/attacked';
const MIB = 1024 * 1024;
const intEnv = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const SOCKETS = Math.min(intEnv('ATTACK_SOCKETS', 300), 2_000);
const REQUESTS = Math.min(intEnv('ATTACK_REQUESTS', 3_000), 20_000);
const SLOW_MAX_S = Math.min(intEnv('ATTACK_SLOW_MAX_S', 120), 600);
const SLOW_SOCKETS = Math.min(intEnv('ATTACK_SLOW_SOCKETS', 3), 50);
const EXTRA_ENV = Object.fromEntries(
  (process.env.ATTACK_RELAY_ENV ?? '')
    .split(' ')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const line = (s: string) => process.stdout.write(`${s}\n`);
const DOCKERFILE = readFileSync(resolve(import.meta.dirname, '../Dockerfile'), 'utf8');
const CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(DOCKERFILE)?.[1] ?? '[]') as string[];
const NODE_FLAGS = CMD.slice(1, CMD.indexOf('dist/main.js'));
const MAIN = resolve(import.meta.dirname, '../dist/main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const mb = (n: number) => `${n.toFixed(0)} MB`;

/** Samples RSS every 100 ms while `run` runs; returns its result and the peak. */
async function peakRss<T>(pid: number, run: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  try {
    const value = await run();
    peak = Math.max(peak, rssMb(pid));
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

const dispatcher = new Agent({ connections: 32, keepAliveTimeout: 1_000 });

async function metricsText(base: string): Promise<string> {
  const res = await request(`${base}/metrics`, { dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
  return res.body.text();
}

function seriesOf(text: string): { bytes: number; series: number; received: number; rejected: string[] } {
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return {
    bytes: Buffer.byteLength(text),
    series: samples.length,
    received: samples.filter((l) => l.startsWith('relay_deliveries_received_total{')).length,
    rejected: samples.filter((l) => l.startsWith('relay_deliveries_rejected_total{')).map((l) => /reason="([^"]*)"\} (\S+)/.exec(l)?.slice(1).join('=') ?? l),
  };
}

function head(declaredLength: number, signature: string | undefined): string {
  return [
    'POST /webhooks/github HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${declaredLength}`,
    'X-GitHub-Event: package',
    `X-GitHub-Delivery: ${randomUUID()}`,
    ...(signature === undefined ? [] : [`X-Hub-Signature-256: ${signature}`]),
    '',
    '',
  ].join('\r\n');
}

interface Outcome {
  status: string;
  closedAfterMs: number | undefined;
  /** Set before this script destroys the socket itself. */
  ourClose?: boolean;
}

/** One raw socket: the head, then `body` bytes; records the first status line and when the relay closed it. */
function hostile(port: number, text: string, body: Buffer | undefined): { socket: Socket; outcome: Outcome; started: number } {
  const started = Date.now();
  const outcome: Outcome = { status: 'none', closedAfterMs: undefined };
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let first = '';
  socket.on('data', (chunk: Buffer) => {
    if (outcome.status !== 'none') return;
    first += chunk.toString('latin1');
    const m = /^HTTP\/1\.1 (\d{3})/.exec(first);
    if (m !== null) outcome.status = m[1]!;
  });
  socket.on('close', () => {
    outcome.closedAfterMs = Date.now() - started;
  });
  socket.write(text);
  if (body !== undefined) socket.write(body);
  return { socket, outcome, started };
}

function tally(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(' ');
}

/** Phase 1/2: SOCKETS sockets × (1 MiB − 1 bytes of a 1 MiB body), held for `holdMs`, then closed. */
async function memoryAttack(pid: number, port: number, signature: string | undefined, holdMs: number): Promise<void> {
  const before = rssMb(pid);
  const body = Buffer.alloc(MIB - 1, 0x61);
  const { value: sockets, peak } = await peakRss(pid, async () => {
    const open: ReturnType<typeof hostile>[] = [];
    for (let i = 0; i < SOCKETS; i++) {
      open.push(hostile(port, head(MIB, signature), body));
      if (i % 50 === 49) await sleep(20);
    }
    await sleep(holdMs);
    return open;
  });
  const outcomes = sockets.map((s) => s.outcome);
  const closedByRelay = outcomes.filter((o) => o.closedAfterMs !== undefined).length;
  for (const s of sockets) s.socket.destroy();
  await sleep(5_000);
  const after = rssMb(pid);
  line(`  RSS before ${mb(before)}, peak during ${mb(peak)}, 5 s after closing ${mb(after)}`);
  line(`  answers: ${tally(outcomes)}; closed by the relay while held: ${closedByRelay}/${SOCKETS}`);
}

/** Phase 3: slow bodies and slow headers, 1 byte/s, until the relay closes them (or SLOW_MAX_S). */
async function slowSenders(port: number): Promise<{ bodies: Outcome[]; headers: Outcome[] }> {
  const bodies: ReturnType<typeof hostile>[] = [];
  const headers: ReturnType<typeof hostile>[] = [];
  for (let i = 0; i < SLOW_SOCKETS; i++) {
    bodies.push(hostile(port, head(1_000, `sha256=${'0'.repeat(64)}`), Buffer.from('{')));
    headers.push(hostile(port, 'POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n', undefined));
  }
  const filler = 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const deadline = Date.now() + SLOW_MAX_S * 1_000;
  for (let tick = 0; Date.now() < deadline; tick++) {
    const all = [...bodies, ...headers];
    if (all.every((s) => s.outcome.closedAfterMs !== undefined)) break;
    await sleep(1_000);
    for (const s of bodies) if (!s.socket.destroyed) s.socket.write(' ');
    for (const s of headers) if (!s.socket.destroyed) s.socket.write(filler[tick % filler.length]!);
  }
  for (const s of [...bodies, ...headers]) {
    if (s.outcome.closedAfterMs === undefined) s.outcome.ourClose = true;
    s.socket.destroy();
  }
  return { bodies: bodies.map((b) => b.outcome), headers: headers.map((h) => h.outcome) };
}

const cut = (outcomes: readonly Outcome[]) =>
  outcomes.map((o) => (o.ourClose === true ? `> ${SLOW_MAX_S} s (still open)` : `${((o.closedAfterMs ?? 0) / 1000).toFixed(1)} s (${o.status})`)).join(', ');

/** Phase 4: REQUESTS unsigned requests with random (schema-valid) events, 16 at a time. */
async function randomEvents(base: string): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const deadline = Date.now() + 120_000;
  const worker = async () => {
    while (next < REQUESTS && Date.now() < deadline) {
      next++;
      const event = Array.from(randomBytes(12), (b) => String.fromCharCode(97 + (b % 26))).join('');
      try {
        const res = await request(`${base}/webhooks/github`, {
          method: 'POST',
          dispatcher,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
          headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
          body: '{}',
        });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return statuses;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-attack-'));
  let child: ChildProcess | undefined;
  try {
    const routesFile = join(dir, 'routes.yaml');
    writeFileSync(routesFile, stringify({ routes: [{ image: IMAGE, targets: [{ log: {} }] }] }));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        MALLOC_ARENA_MAX: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        GITHUB_WEBHOOK_SECRETS: SECRET,
        RELAY_ROUTES_FILE: routesFile,
        RELAY_DATA_DIR: join(dir, 'data'),
        ...EXTRA_ENV,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const pid = child.pid!;
    const startDeadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await request(`${base}/healthz`, { dispatcher });
        await res.body.dump();
        break;
      } catch {
        if (Date.now() > startDeadline || child.exitCode !== null) throw new Error('the relay did not start');
        await sleep(100);
      }
    }
    line(`relay: node ${NODE_FLAGS.join(' ')} dist/main.js (pid ${pid}), ${SOCKETS} sockets, ${REQUESTS} requests, slow senders capped at ${SLOW_MAX_S} s`);
    if (Object.keys(EXTRA_ENV).length > 0) line(`relay env: ${JSON.stringify(EXTRA_ENV)}`);

    // Warm-up: 200 real deliveries, so the baseline is a relay that has worked.
    for (let i = 0; i < 200; i++) {
      const body = ghcrPackageJson({ image: IMAGE, tag: `1.0.${i}` });
      const res = await request(`${base}/webhooks/github`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', 'x-github-event': 'package', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(SECRET, body) },
        body,
      });
      await res.body.dump();
    }
    await sleep(2_000);
    const baseline = rssMb(pid);
    const metricsBefore = seriesOf(await metricsText(base));
    line(`baseline after 200 signed deliveries: RSS ${mb(baseline)}; /metrics ${metricsBefore.bytes} bytes, ${metricsBefore.series} series`);

    line(`\n[2a] ${SOCKETS} sockets × 1 MiB − 1 bytes of a 1 MiB body, no signature, held 6 s`);
    await memoryAttack(pid, port, undefined, 6_000);
    line(`\n[2b] ${SOCKETS} sockets × 1 MiB − 1 bytes of a 1 MiB body, well-formed wrong signature, held 6 s`);
    await memoryAttack(pid, port, `sha256=${'0'.repeat(64)}`, 6_000);

    line(`\n[3] ${SLOW_SOCKETS} slow bodies and ${SLOW_SOCKETS} slow headers at 1 byte/s (relay default requestTimeout 15 s), in the background`);
    const slow = slowSenders(port);

    line(`\n[4] ${REQUESTS} requests with random X-GitHub-Event, no valid signature`);
    const statuses = await randomEvents(base);
    const metricsAfter = seriesOf(await metricsText(base));
    line(`  answers: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`);
    line(`  /metrics ${metricsBefore.bytes} → ${metricsAfter.bytes} bytes; series ${metricsBefore.series} → ${metricsAfter.series}; relay_deliveries_received_total series ${metricsBefore.received} → ${metricsAfter.received}`);

    const { bodies, headers } = await slow;
    line(`\n[3] slow bodies cut after: ${cut(bodies)}`);
    line(`[3] slow headers cut after: ${cut(headers)}`);

    // The relay still works, and what it counted.
    const body = ghcrPackageJson({ image: IMAGE, tag: '9.9.9' });
    const res = await request(`${base}/webhooks/github`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', 'x-github-event': 'package', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(SECRET, body) },
      body,
    });
    await res.body.dump();
    const final = seriesOf(await metricsText(base));
    line(`\nafter everything: a signed delivery answers ${res.statusCode}; RSS ${mb(rssMb(pid))} (baseline ${mb(baseline)})`);
    line(`rejected by reason: ${final.rejected.join(' ')}`);
    line(`final /metrics ${final.bytes} bytes, ${final.series} series`);
  } finally {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
