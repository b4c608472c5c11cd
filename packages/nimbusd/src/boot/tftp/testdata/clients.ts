/**
 * The Debian TFTP clients the tests and the bench use as peers: tftp-hpa's `tftp`, `atftp`
 * and `curl`, spawned asynchronously (the server under test runs in the same process, so a
 * synchronous spawn would stall it), each bounded by a timeout.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Debian package of each program, for skip reasons. */
const PACKAGES: Record<string, string> = { tftp: 'tftp-hpa', atftp: 'atftp', curl: 'curl', dnsmasq: 'dnsmasq-base' };

export function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

/** Why a test needing these programs cannot run here, or undefined when it can. */
export function missingPrograms(...programs: string[]): string | undefined {
  const missing = programs.filter((p) => !onPath(p));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not installed (Debian package ${missing.map((p) => PACKAGES[p] ?? p).join(', ')})`;
}

export interface ClientRun {
  /** Exit status; null when it was killed (signal or timeout). */
  status: number | null;
  /** stdout and stderr together, in arrival order. */
  output: string;
  timedOut: boolean;
}

/** Runs a program to completion (or `timeoutMs`, then SIGKILL) without blocking the event loop. */
export function runProgram(program: string, args: readonly string[], timeoutMs = 30_000, stdin?: string): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    if (stdin !== undefined) child.stdin!.end(stdin);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output, timedOut });
    });
  });
}

export interface Target {
  host: string;
  port: number;
}

/** tftp-hpa: `tftp -v HOST PORT -m MODE -c get REMOTE LOCAL`. It exits 0 even on an error; read `output`. */
export function tftpHpaGet(t: Target, remote: string, local: string, mode: 'octet' | 'netascii' = 'octet', timeoutMs?: number): Promise<ClientRun> {
  return runProgram('tftp', ['-v', t.host, String(t.port), '-m', mode, '-c', 'get', remote, local], timeoutMs);
}

export function tftpHpaPut(t: Target, local: string, remote: string, timeoutMs?: number): Promise<ClientRun> {
  return runProgram('tftp', ['-v', t.host, String(t.port), '-m', 'octet', '-c', 'put', local, remote], timeoutMs);
}

/** atftp in batch mode; `options` are `--option` values such as "blksize 1468". Exits non-zero on an error. */
export function atftpGet(t: Target, remote: string, local: string, options: readonly string[] = [], timeoutMs?: number): Promise<ClientRun> {
  const args = ['--get', '-r', remote, '-l', local, '--verbose', ...options.flatMap((o) => ['--option', o]), t.host, String(t.port)];
  return runProgram('atftp', args, timeoutMs);
}

export function atftpPut(t: Target, local: string, remote: string, timeoutMs?: number): Promise<ClientRun> {
  return runProgram('atftp', ['--put', '-r', remote, '-l', local, t.host, String(t.port)], timeoutMs);
}

/** curl's TFTP; exit 68 is "file not found", 69 "access violation" (a permission problem). `--path-as-is` keeps `..` as sent. */
export function curlGet(t: Target, remote: string, local: string, blksize?: number, timeoutMs?: number): Promise<ClientRun> {
  const args = ['-sS', '--path-as-is', '--max-time', '60', '-o', local, ...(blksize === undefined ? [] : ['--tftp-blksize', String(blksize)]), `tftp://${t.host}:${t.port}/${remote}`];
  return runProgram('curl', args, timeoutMs);
}
