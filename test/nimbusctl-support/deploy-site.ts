/**
 * A provider site that deploys, for nimbusctl's end-to-end tests: `nimbusd serve` (built)
 * with its boot service on 127.0.0.1 (free high ports), a one-image catalog, and one
 * machine behind the Redfish emulator. The test plays the machine's network boot and
 * ramdisk over the boot HTTP server, and a TCP listener that sends an SSH banner stands
 * in for the deployed instance's sshd.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { createSite, freeTcpPort, type NimbusdSite, type SiteOptions } from '../support/nimbusd-site.ts';
import { enrollMachines } from '../support/ready-machines.ts';
import { RedfishEmulatorProcess } from '../support/redfish-emulator-process.ts';
import { ServeProcess } from '../support/serve-process.ts';
import { NIMBUSCTL_BIN, type CliResult } from '../support/nimbusctl.ts';
import { parseJsonOutput } from '../support/cli.ts';

/** The boot MAC enrollMachines gives machine 1. */
export const MACHINE_MAC = '02:00:00:00:00:01';
export const IMAGE = 'tiny';
export const IMAGE_USER = 'debian';

export interface DeploySite {
  site: NimbusdSite;
  serve: ServeProcess;
  bootHttpPort: number;
  /** Where the stand-in sshd answers (port 22): the address the ramdisk reports. */
  instanceAddress: string;
  stop(): Promise<void>;
}

type Table = Record<string, unknown>;

/** Listens on `address`:22 and greets like sshd. Resolves false when port 22 cannot be had there. */
async function sshBanner(address: string): Promise<Server | undefined> {
  const server = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2 nimbus-test\r\n'));
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(22, address, () => resolve(server));
  });
}

/** Whether this process may listen on port 22 (root, or the capability): the deploy waits for SSH there. */
export async function canListenOnPort22(): Promise<boolean> {
  const server = await sshBanner(randomLoopback());
  if (!server) return false;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/** An address in 127/8 other than 127.0.0.1, so a test's port 22 meets no one else's. */
function randomLoopback(): string {
  const byte = (): number => 2 + Math.floor(Math.random() * 250);
  return `127.${byte()}.${byte()}.${byte()}`;
}

export async function startDeploySite(options: SiteOptions & { bmcPassword: string }): Promise<DeploySite> {
  const site = await createSite(options);
  const cleanups: (() => Promise<void> | void)[] = [() => site.remove()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    for (const sub of ['ramdisk', 'ipxe']) mkdirSync(join(site.dir, sub));
    writeFileSync(join(site.dir, 'ramdisk', 'vmlinuz'), 'kernel bytes');
    writeFileSync(join(site.dir, 'ramdisk', 'initramfs.img'), 'initramfs bytes');
    writeFileSync(join(site.dir, 'ipxe', 'undionly.kpxe'), 'ipxe');
    const image = Buffer.alloc(64 * 1024, 7);
    writeFileSync(join(site.dir, 'tiny.raw'), image);

    const [http, tftp, dhcp] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    const config = parse(readFileSync(site.configPath, 'utf8')) as Table;
    config['boot'] = {
      enabled: true,
      address: '127.0.0.1',
      http_port: http,
      tftp_port: tftp,
      dhcp_port: dhcp,
      ipxe_dir: join(site.dir, 'ipxe'),
      ramdisk_dir: join(site.dir, 'ramdisk'),
      pxe_timeout_seconds: 30,
      ssh_timeout_seconds: 30,
    };
    config['images'] = [{ name: IMAGE, file: join(site.dir, 'tiny.raw'), sha256: createHash('sha256').update(image).digest('hex'), ssh_user: IMAGE_USER }];
    (config['provider'] as Table)['images'] = [IMAGE];
    writeFileSync(site.configPath, stringify(config));
    const check = site.nimbusd(['check-config', '--config', site.configPath]);
    if (check.status !== 0) throw new Error(`nimbusd check-config refused the deploy site's config: ${check.stderr}`);

    const emulator = await RedfishEmulatorProcess.start({ password: options.bmcPassword });
    cleanups.push(() => emulator.stop());
    const passwordFile = join(site.dir, 'bmc-password');
    writeFileSync(passwordFile, `${options.bmcPassword}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    const address = new URL(emulator.url).host;
    await enrollMachines(site.stateDir, 1, () => ({
      driver: 'redfish',
      address,
      username: emulator.username,
      credentialsFile: passwordFile,
      options: { scheme: 'http', system: emulator.systemPaths[0], bootMode: 'legacy' },
    }));

    let banner: Server | undefined;
    let instanceAddress = '';
    for (let i = 0; i < 5 && !banner; i++) banner = await sshBanner((instanceAddress = randomLoopback()));
    if (!banner) throw new Error('cannot listen on port 22 of a loopback address for the stand-in sshd');
    cleanups.push(() => new Promise<void>((resolve) => banner.close(() => resolve())));

    const serve = new ServeProcess({ configPath: site.configPath, env: site.env });
    cleanups.push(async () => {
      await serve.stop();
    });
    await serve.waitForLog('nimbusd listening');
    return { site, serve, bootHttpPort: http, instanceAddress, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Plays the machine's ramdisk for one deploy: waits for the iPXE script to carry a
 * token, asks for instructions, reports success with the instance's address.
 */
export async function playRamdisk(site: DeploySite, signal: AbortSignal): Promise<void> {
  const base = `http://127.0.0.1:${site.bootHttpPort}`;
  let token: string | undefined;
  while (!token) {
    signal.throwIfAborted();
    const script = await (await fetch(`${base}/boot/ipxe/${MACHINE_MAC}`, { signal })).text();
    token = /nimbus\.token=([A-Za-z0-9_-]+)/.exec(script)?.[1];
    if (!token) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const auth = { Authorization: `Bearer ${token}` };
  const instructions = await fetch(`${base}/deploy/v1/instructions`, { headers: auth, signal });
  if (!instructions.ok) throw new Error(`instructions: HTTP ${instructions.status}`);
  const result = await fetch(`${base}/deploy/v1/result`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `status=ok&ip=${site.instanceAddress}&disk=/dev/vda`,
    signal,
  });
  if (!result.ok) throw new Error(`result: HTTP ${result.status}: ${await result.text()}`);
}

/** Runs the built nimbusctl without blocking (the test plays the machine meanwhile). */
export function runNimbusctlAsync(env: Record<string, string>, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NIMBUSCTL_BIN, ...args], { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, json: parseJsonOutput(stdout) });
    });
  });
}
