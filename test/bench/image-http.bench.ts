/**
 * Image streaming over HTTP: nimbusd's boot HTTP server (`sendFile`) against Debian's
 * nginx with `sendfile on`, the same 512 MiB file of random bytes on 127.0.0.1, side by
 * side in one run, with the same external client for both (curl, `-o /dev/null`).
 *
 * Our server runs in a child process of its own, like nginx: the bench process spawns the
 * curls and keeps time, and on a 2-core machine that work would otherwise share the
 * server's event loop. nginx runs twice: with one worker (its default when the config does
 * not say, and one event loop like ours: the reference for the goal) and with Debian's
 * packaged `worker_processes auto` (two here), for what a second process buys. Every
 * server gets the same warm page cache (one download each first); runs go round the
 * servers in turn, so none gets all the quiet moments of a shared machine.
 *
 * Bounded: SINGLE_RUNS single downloads each (or SINGLE_BUDGET_MS), CONCURRENT_RUNS
 * rounds of CONCURRENT_CLIENTS downloads each (or CONCURRENT_BUDGET_MS); every curl has
 * a --max-time. Goal: ≥ 0.9× nginx's throughput.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHUNK_SIZE, DEFAULT_READ_AHEAD } from '../../packages/nimbusd/src/boot/http/index.ts';
import { markdownTable, type BenchSection } from './report.ts';

const MiB = 1024 * 1024;
const IMAGE_BYTES = 512 * MiB;
const SINGLE_RUNS = 7;
const SINGLE_BUDGET_MS = 90_000;
const CONCURRENT_CLIENTS = 50;
const CONCURRENT_RUNS = 3;
const CONCURRENT_BUDGET_MS = 150_000;
const CURL_MAX_TIME_S = 120;
const GOAL_RATIO = 0.9;

const HERE = dirname(fileURLToPath(import.meta.url));
const WORK_DIR = join(HERE, '.work', 'image-http');
const IMAGE_NAME = 'image.raw';
const SERVER_MODULE = join(HERE, '..', '..', 'packages', 'nimbusd', 'src', 'boot', 'http', 'index.ts');

function missingPeers(): string | undefined {
  for (const [program, args, pkg] of [['nginx', ['-v'], 'nginx-light'], ['curl', ['--version'], 'curl']] as const) {
    if (spawnSync(program, args, { stdio: 'ignore' }).error) return `${program} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/** The image, made once and kept in test/bench/.work/: random bytes, so neither server gets compressible or sparse data. */
function ensureImage(): string {
  const path = join(WORK_DIR, IMAGE_NAME);
  mkdirSync(WORK_DIR, { recursive: true });
  try {
    if (statSync(path).size === IMAGE_BYTES) return path;
  } catch {
    // not made yet
  }
  const block = Buffer.allocUnsafe(4 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < IMAGE_BYTES; written += block.length) writeSync(fd, randomFillSync(block));
  } finally {
    closeSync(fd);
  }
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it answered`);
    const probe = spawnSync('curl', ['-sS', '-o', '/dev/null', '-I', '--max-time', '2', url]);
    if (probe.status === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not answer ${url} within 10 s`);
}

interface Server {
  name: string;
  url: string;
  /** Processes whose CPU time is the server's (nginx: master and workers). */
  pids: () => number[];
  stop: () => Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startNginx(root: string, workers: '1' | 'auto'): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'user root;',
      `worker_processes ${workers};`,
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      '  sendfile on;',
      '  tcp_nopush on;',
      '  default_type application/octet-stream;',
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  server { listen 127.0.0.1:${port}; root ${root}; }`,
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}/${IMAGE_NAME}`;
  try {
    await waitForHttp(url, child, 'nginx');
  } catch (error) {
    await stopChild(child);
    throw new Error(`${(error as Error).message}: ${stderr.trim()}`);
  }
  return {
    name: `nginx ${nginxVersion()}, sendfile on, worker_processes ${workers}`,
    url,
    pids: () => [child.pid!, ...childrenOf(child.pid!)],
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function nginxVersion(): string {
  const out = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(out.stderr)?.[1] ?? '';
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Our server in a child process, serving the work directory with one route, as the integrator's image route will. */
async function startOurs(root: string): Promise<Server> {
  const code = `
    import { BootHttpServer } from ${JSON.stringify(SERVER_MODULE)};
    import { join } from 'node:path';
    const root = ${JSON.stringify(root)};
    const server = await BootHttpServer.listen({
      host: '127.0.0.1', port: 0,
      routes: [{ method: 'GET', pattern: '/:name', handler: (ctx) => ctx.sendFile(join(root, ctx.params.name), { contentType: 'application/octet-stream' }) }],
    });
    process.stdout.write(JSON.stringify({ port: server.address.port }) + '\\n');
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--conditions=nimbus:source', '--no-warnings', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (status) => reject(new Error(`our server exited with ${status}: ${stderr.trim()}`)));
  });
  const url = `http://127.0.0.1:${port}/${IMAGE_NAME}`;
  await waitForHttp(url, child, 'our server');
  return { name: 'nimbusd boot HTTP, sendFile', url, pids: () => [child.pid!], stop: () => stopChild(child) };
}

/** User + system CPU seconds of these processes so far (all their threads). */
function cpuSeconds(pids: number[]): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone
    }
  }
  return ticks / ticksPerSecond;
}

interface Download {
  status: number;
  bytes: number;
  seconds: number;
}

function curl(url: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', String(CURL_MAX_TIME_S), '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', () => {
      const [status, bytes, seconds] = out.trim().split(' ').map(Number);
      resolve({ status: status ?? 0, bytes: bytes ?? 0, seconds: seconds ?? 0 });
      if (err.trim() !== '') process.stderr.write(`curl ${url}: ${err}`);
    });
  });
}

function assertComplete(d: Download, server: Server): void {
  if (d.status !== 200 || d.bytes !== IMAGE_BYTES) {
    throw new Error(`${server.name}: a download ended with ${d.status} after ${d.bytes} of ${IMAGE_BYTES} bytes`);
  }
}

interface Figures {
  single: number[];
  concurrent: number[];
  /** CPU seconds the server spent per GiB it sent, over all runs. */
  cpuPerGiB: number;
}

const mibPerSecond = (bytes: number, seconds: number): number => bytes / MiB / seconds;
/** The servers starting at a different one each round. */
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `CONCURRENT_CLIENTS` curls at once; aggregate MiB/s over the wall time from the first spawn to the last exit. */
async function concurrentRound(server: Server): Promise<number> {
  const start = performance.now();
  const downloads = await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, () => curl(server.url)));
  const seconds = (performance.now() - start) / 1000;
  for (const d of downloads) assertComplete(d, server);
  return mibPerSecond(IMAGE_BYTES * CONCURRENT_CLIENTS, seconds);
}

export async function run(): Promise<BenchSection> {
  const title = 'Image streaming over HTTP: nimbusd boot HTTP against nginx';
  const missing = missingPeers();
  if (missing !== undefined) return { title, markdown: `Not measured: ${missing}.` };

  const image = ensureImage();
  const servers: Server[] = [];
  try {
    servers.push(await startOurs(dirname(image)));
    servers.push(await startNginx(dirname(image), '1'));
    servers.push(await startNginx(dirname(image), 'auto'));
    const figures = new Map<Server, Figures>(servers.map((s) => [s, { single: [], concurrent: [], cpuPerGiB: 0 }]));
    const cpu = new Map<Server, { seconds: number; bytes: number }>(servers.map((s) => [s, { seconds: 0, bytes: 0 }]));
    const measured = async (server: Server, bytes: number, work: () => Promise<void>): Promise<void> => {
      const before = cpuSeconds(server.pids());
      await work();
      const tally = cpu.get(server)!;
      tally.seconds += cpuSeconds(server.pids()) - before;
      tally.bytes += bytes;
    };

    // Warm-up: the page cache holds the image for both, and each server has run once.
    for (const server of servers) assertComplete(await curl(server.url), server);

    const singleStart = performance.now();
    for (let i = 0; i < SINGLE_RUNS && performance.now() - singleStart < SINGLE_BUDGET_MS; i++) {
      for (const server of rotated(servers, i)) {
        await measured(server, IMAGE_BYTES, async () => {
          const d = await curl(server.url);
          assertComplete(d, server);
          figures.get(server)!.single.push(mibPerSecond(d.bytes, d.seconds));
        });
      }
    }

    const concurrentStart = performance.now();
    for (let i = 0; i < CONCURRENT_RUNS && performance.now() - concurrentStart < CONCURRENT_BUDGET_MS; i++) {
      for (const server of rotated(servers, i)) {
        await measured(server, IMAGE_BYTES * CONCURRENT_CLIENTS, async () => {
          figures.get(server)!.concurrent.push(await concurrentRound(server));
        });
      }
    }
    for (const server of servers) {
      const tally = cpu.get(server)!;
      figures.get(server)!.cpuPerGiB = tally.seconds / (tally.bytes / (1024 * MiB));
    }

    const [ours, nginx1, nginxAuto] = servers.map((s) => figures.get(s)!) as [Figures, Figures, Figures];
    const singleRatio = median(ours.single) / median(nginx1.single);
    const concurrentRatio = median(ours.concurrent) / median(nginx1.concurrent);
    const met = singleRatio >= GOAL_RATIO && concurrentRatio >= GOAL_RATIO;
    const row = (server: Server): string[] => {
      const f = figures.get(server)!;
      return [
        server.name,
        `${Math.max(...f.single).toFixed(0)} / ${median(f.single).toFixed(0)} (${f.single.length} runs)`,
        `${Math.max(...f.concurrent).toFixed(0)} / ${median(f.concurrent).toFixed(0)} (${f.concurrent.length} rounds)`,
        f.cpuPerGiB.toFixed(2),
      ];
    };
    return {
      title,
      markdown: [
        `One ${IMAGE_BYTES / MiB} MiB file of random bytes (page cache warm) served on 127.0.0.1 by our boot HTTP server (one route calling \`ctx.sendFile\`, as the image route will; ` +
          `${DEFAULT_CHUNK_SIZE / 1024} KiB reads, ${DEFAULT_READ_AHEAD} in flight; in a child process of its own) and by Debian's nginx (\`sendfile on\`, \`tcp_nopush on\`, run as root with a config in a temp dir), ` +
          `nginx once with one worker (its default, one event loop like ours: the reference for the goal) and once with \`worker_processes auto\` (Debian's packaged setting, two workers here). ` +
          `All in the same run, taking turns. The client for all is curl (\`-o /dev/null -w '%{http_code} %{size_download} %{time_total}'\`), a process of its own; every download is checked to be 200 with all ${IMAGE_BYTES} bytes. ` +
          `Single stream: MiB/s from curl's size and total time, best and median over the runs. ` +
          `${CONCURRENT_CLIENTS} concurrent: ${CONCURRENT_CLIENTS} curl processes started at once; aggregate MiB/s = all bytes over the wall time from the first start to the last exit; best and median over the rounds. ` +
          `CPU: user+system seconds of the server's processes (all threads) per GiB sent, over all runs; nginx's sendfile skips the two copies through user space that a Node server makes.`,
        '',
        markdownTable(['server', 'single stream MiB/s, best / median', `${CONCURRENT_CLIENTS} concurrent, aggregate MiB/s, best / median`, 'server CPU s per GiB'], servers.map(row)),
        '',
        `Ours against nginx with one worker, medians: ${singleRatio.toFixed(2)}× single-stream, ${concurrentRatio.toFixed(2)}× with ${CONCURRENT_CLIENTS} concurrent downloads ` +
          `(goal ≥ ${GOAL_RATIO}× for both: ${met ? 'met' : 'missed'}). Against nginx with two workers: ` +
          `${(median(ours.single) / median(nginxAuto.single)).toFixed(2)}× and ${(median(ours.concurrent) / median(nginxAuto.concurrent)).toFixed(2)}×. ` +
          `On this 2-core machine the curls compete with the servers for the CPU (and other work on the machine with all of them), so the figures are bounded by CPU, not by the network, and vary from run to run.`,
      ].join('\n'),
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

if (import.meta.main) console.log((await run()).markdown);
