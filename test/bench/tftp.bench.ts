/**
 * TFTP: a 1 MiB file fetched by atftp (one spawned process per transfer) from nimbusd's
 * TFTP server and from dnsmasq's, side by side in one run, runs alternating between the two.
 * Sequential transfers with blksize 1468 + windowsize 16 (what was asked; dnsmasq 2.90 has
 * no windowsize, so it answers lock-step) and with blksize 1468 alone (lock-step on both),
 * then rounds of 20 transfers at once. Our server runs in this process; the client is
 * external so both servers face the same program.
 * Bounded: 50 runs or 20 s per series; 10 rounds or 20 s for the concurrent one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TftpServer, type TftpTransferEvent } from '../../packages/nimbusd/src/boot/tftp/index.ts';
import { atftpGet, missingPrograms, type Target } from '../../packages/nimbusd/src/boot/tftp/testdata/clients.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';

const FILE = 'bench-1m.bin';
const FILE_BYTES = 1024 * 1024;
const RUNS = 50;
const SERIES_BUDGET_MS = 20_000;
const CONCURRENT = 20;
const ROUNDS = 10;
const ROUNDS_BUDGET_MS = 20_000;
/** dnsmasq's TFTP port is fixed at 69; it gets a loopback address of its own so it cannot clash with anyone's 127.0.0.1:69. */
const DNSMASQ_ADDRESSES = ['127.0.69.1', '127.0.69.2', '127.0.69.3'];

interface Series {
  /** Per-transfer wall-clock ms (spawn to exit), ascending. */
  sorted: number[];
  /** Sum of the per-transfer times: the series' busy time, excluding the other server's turns. */
  busyMs: number;
}

const emptySeries = (): Series => ({ sorted: [], busyMs: 0 });

/** A free `address:69`, or undefined when every candidate is taken. */
async function freePort69(): Promise<string | undefined> {
  for (const address of DNSMASQ_ADDRESSES) {
    const probe = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.bind(69, address, () => resolve(true));
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (free) return address;
  }
  return undefined;
}

/** Resolves once something answers a TFTP request at target (an ERROR for a missing file will do). */
async function waitForTftp(target: Target, budgetMs: number): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  try {
    const deadline = performance.now() + budgetMs;
    const rrq = Buffer.from('\0\x01readiness-probe\0octet\0', 'latin1');
    while (performance.now() < deadline) {
      const answered = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 200);
        socket.once('message', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      socket.send(rrq, target.port, target.host);
      if (await answered) return;
    }
    throw new Error(`no TFTP server answered at ${target.host}:${target.port} within ${budgetMs} ms`);
  } finally {
    socket.close();
  }
}

async function startDnsmasq(root: string, address: string): Promise<ChildProcess> {
  const child = spawn(
    'dnsmasq',
    ['--no-daemon', '--conf-file=/dev/null', '--port=0', '--enable-tftp', `--tftp-root=${root}`, `--listen-address=${address}`, '--bind-interfaces', '--user=root', '--group=root', '--pid-file=', '--log-facility=-', '--quiet-tftp'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await waitForTftp({ host: address, port: 69 }, 5_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`dnsmasq did not start: ${(err as Error).message}; it said: ${log.trim()}`, { cause: err });
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

export async function run(): Promise<BenchSection> {
  const title = 'TFTP: nimbusd against dnsmasq, 1 MiB by atftp';
  const missing = missingPrograms('atftp', 'dnsmasq');
  if (missing !== undefined) return { title, markdown: `Not measured: ${missing}.` };
  const dnsmasqAddress = await freePort69();
  if (dnsmasqAddress === undefined) return { title, markdown: `Not measured: UDP port 69 is taken on ${DNSMASQ_ADDRESSES.join(', ')}, so dnsmasq cannot run as the reference.` };

  const dir = mkdtempSync(join(tmpdir(), 'tftp-bench-'));
  const root = join(dir, 'root');
  const out = join(dir, 'out');
  mkdirSync(root);
  mkdirSync(out);
  chmodSync(dir, 0o755);
  const content = randomBytes(FILE_BYTES);
  writeFileSync(join(root, FILE), content);

  const events: TftpTransferEvent[] = [];
  let ours: TftpServer | undefined;
  let dnsmasq: ChildProcess | undefined;
  try {
    ours = await TftpServer.listen({
      root,
      host: '127.0.0.1',
      port: 0,
      // Room for the 20 concurrent transfers, all from 127.0.0.1.
      limits: { maxTransfersPerClient: 64 },
      onEvent: (e) => void (e.type === 'transfer' && events.push(e)),
    });
    dnsmasq = await startDnsmasq(root, dnsmasqAddress);
    const targets = { ours: { host: '127.0.0.1', port: ours.address.port }, dnsmasq: { host: dnsmasqAddress, port: 69 } };
    let fetches = 0;

    /** One atftp transfer; checks its exit status and, now and then, the bytes. */
    const fetch = async (target: Target, options: string[]): Promise<number> => {
      const local = join(out, `f${fetches++ % 64}`);
      const started = performance.now();
      const result = await atftpGet(target, FILE, local, options, 30_000);
      const elapsed = performance.now() - started;
      if (result.status !== 0) throw new Error(`atftp against ${target.host}:${target.port} failed (${result.status}): ${result.output.trim()}`);
      if (fetches % 16 === 1 && !readFileSync(local).equals(content)) throw new Error(`atftp got a different file from ${target.host}:${target.port}`);
      return elapsed;
    };

    /** Alternates one transfer from each server until RUNS each or the budget is spent. */
    const alternate = async (options: string[]): Promise<{ ours: Series; dnsmasq: Series }> => {
      const result = { ours: emptySeries(), dnsmasq: emptySeries() };
      const started = performance.now();
      while (result.ours.sorted.length < RUNS && performance.now() - started < 2 * SERIES_BUDGET_MS) {
        for (const who of ['ours', 'dnsmasq'] as const) {
          const t = await fetch(targets[who], options);
          result[who].sorted.push(t);
          result[who].busyMs += t;
        }
      }
      for (const s of Object.values(result)) s.sorted.sort((a, b) => a - b);
      return result;
    };

    /** Rounds of CONCURRENT transfers at once; each entry is one round's wall-clock ms. */
    const rounds = async (options: string[]): Promise<{ ours: Series; dnsmasq: Series }> => {
      const result = { ours: emptySeries(), dnsmasq: emptySeries() };
      const started = performance.now();
      while (result.ours.sorted.length < ROUNDS && performance.now() - started < 2 * ROUNDS_BUDGET_MS) {
        for (const who of ['ours', 'dnsmasq'] as const) {
          const t = performance.now();
          await Promise.all(Array.from({ length: CONCURRENT }, () => fetch(targets[who], options)));
          const elapsed = performance.now() - t;
          result[who].sorted.push(elapsed);
          result[who].busyMs += elapsed;
        }
      }
      for (const s of Object.values(result)) s.sorted.sort((a, b) => a - b);
      return result;
    };

    const windowed = ['blksize 1468', 'windowsize 16'];
    const lockStep = ['blksize 1468'];
    const loadBefore = loadavg()[0]!;
    const win = await alternate(windowed);
    const ourWindow = events.find((e) => e.outcome === 'complete')?.windowSize ?? 0;
    const lock = await alternate(lockStep);
    const conc = await rounds(windowed);
    const failed = events.filter((e) => e.outcome !== 'complete');
    if (failed.length > 0) throw new Error(`${failed.length} transfer(s) from our server did not complete: ${JSON.stringify(failed[0])}`);

    const mib = FILE_BYTES / 2 ** 20;
    const row = (who: string, options: string, s: Series, perTransfer = 1, count = s.sorted.length.toLocaleString('en')): string[] => [
      who,
      options,
      count,
      ((s.sorted.length * perTransfer * 1000) / s.busyMs).toFixed(0),
      ((s.sorted.length * perTransfer * mib * 1000) / s.busyMs).toFixed(1),
      ms(percentile(s.sorted, 50)),
      ms(percentile(s.sorted, 95)),
    ];
    const dnsmasqVersion = spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.match(/version (\S+)/)?.[1] ?? '?';
    const atftpRun = spawnSync('atftp', ['--version'], { encoding: 'utf8' });
    const atftpVersion = `${atftpRun.stdout}${atftpRun.stderr}`.trim().split('\n')[0] || 'atftp';
    const ratio = (a: Series, b: Series): string => (percentile(b.sorted, 50) / percentile(a.sorted, 50)).toFixed(2);

    return {
      title,
      markdown: [
        `A ${mib} MiB random file fetched over 127.0.0.1 by ${atftpVersion}, one spawned process per transfer (so every figure includes a process start, the same for both servers), ` +
          `from nimbusd's TFTP server (in the benchmark's own Node process) and from dnsmasq ${dnsmasqVersion} (\`--enable-tftp\`, on ${dnsmasqAddress}:69), one transfer from each in turn. ` +
          `Our server granted windowsize ${ourWindow}; dnsmasq does not implement RFC 7440, ignores the option and runs lock-step, so the lock-step rows are the like-for-like comparison. ` +
          `Transfers/s and MiB/s are over each server's own busy time; the concurrent rows are rounds of ${CONCURRENT} atftp processes started at once (p50/p95 of a whole round). ` +
          `Bounded: ${RUNS} transfers or ${SERIES_BUDGET_MS / 1000} s per server and series; ${ROUNDS} rounds or ${ROUNDS_BUDGET_MS / 1000} s per server. ` +
          `Load average when the runs began: ${loadBefore.toFixed(1)} (the p95 column is mostly the machine's other work).`,
        '',
        markdownTable(
          ['server', 'client options', 'transfers', 'transfers/s', 'MiB/s', 'p50', 'p95'],
          [
            row('nimbusd TFTP', 'blksize 1468, windowsize 16', win.ours),
            row('  reference: dnsmasq', 'blksize 1468, windowsize 16 (ignored: lock-step)', win.dnsmasq),
            row('nimbusd TFTP', 'blksize 1468 (lock-step)', lock.ours),
            row('  reference: dnsmasq', 'blksize 1468 (lock-step)', lock.dnsmasq),
            row(`nimbusd TFTP, ${CONCURRENT} at once`, 'blksize 1468, windowsize 16', conc.ours, CONCURRENT, `${conc.ours.sorted.length} rounds`),
            row(`  reference: dnsmasq, ${CONCURRENT} at once`, 'blksize 1468, windowsize 16 (ignored)', conc.dnsmasq, CONCURRENT, `${conc.dnsmasq.sorted.length} rounds`),
          ],
        ),
        '',
        `p50 of dnsmasq ÷ p50 of nimbusd: ${ratio(win.ours, win.dnsmasq)} with the window asked for, ${ratio(lock.ours, lock.dnsmasq)} lock-step, ${ratio(conc.ours, conc.dnsmasq)} for ${CONCURRENT} at once (above 1: nimbusd is faster).`,
      ].join('\n'),
    };
  } finally {
    if (dnsmasq !== undefined) await stop(dnsmasq);
    await ours?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log((await run()).markdown);
