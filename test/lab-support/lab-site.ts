/**
 * A provider site in a lab network: `nimbusd serve` (built binary) with its boot service in
 * full-DHCP mode inside the namespace, the tiny image and the deploy ramdisk built by their
 * scripts, and qemu VMs behind their BMCs, enrolled and ready. A tenant key talks to the
 * API from inside the namespace (the namespace has no link to the host). Shared by the lab
 * deploy test and the deploy benchmark.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDbPath } from '../../packages/nimbusd/src/state/database.ts';
import { Store } from '../../packages/nimbusd/src/state/store.ts';
import { buildTinyImage, IMAGE_DIR, type ImageManifest } from '../image-support/tiny-image.ts';
import { LabNetwork, LabVm, labMissing, startIpmiBmc, startRedfishBmc, type Firmware, type LabNic, type LabProcess } from '../lab/index.ts';
import { NIMBUSD_BIN, runBin, type CliRun } from '../support/cli.ts';
import { REPO_ROOT } from '../support/nimbusctl.ts';

export const RAMDISK_DIR = join(REPO_ROOT, '.cache', 'boot', 'ramdisk');
const API_CALL = join(REPO_ROOT, 'test', 'lab-support', 'api-call.ts');
const BMC_PASSWORD = 'lab-bmc-secret-7';
const API_PORT = 2222;
/** The first TCP port (on the namespace's loopback) a VM's serial port is served on; one per VM from here. */
const SERIAL_PORT_BASE = 7100;

/** One VM of the site: its firmware and NIC, the BMC in front of it, and the class it is offered as. */
export interface VmPlan {
  name: string;
  klass: string;
  firmware: Firmware;
  nic: LabNic;
  bmc: 'redfish' | 'ipmi';
  memoryMiB: number;
  diskMiB: number;
  /** Its tap leaves the bridge and goes down before the site starts: a pulled cable. */
  unplugged?: boolean;
}

export interface LabSiteOptions {
  vms: readonly VmPlan[];
  pxeTimeoutSeconds: number;
  /** Catalog entries besides `nimbus-tiny` (the zstd image): name → sha256, same file. */
  sameFileImages?: Record<string, string>;
}

export interface ApiAnswer {
  ok: boolean;
  value: any;
}

/** Why a lab site cannot run here, or undefined. */
export function labSiteMissing(): string | undefined {
  const lab = labMissing();
  if (lab) return lab;
  if (spawnSync('sh', ['-c', 'command -v ssh && command -v ssh-keygen']).status !== 0) return 'OpenSSH client not installed (Debian package openssh-client)';
  return undefined;
}

export class LabSite {
  readonly network: LabNetwork;
  readonly vms: Record<string, LabVm>;
  readonly daemon: LabProcess;
  readonly bmcPassword = BMC_PASSWORD;
  /** The site's nimbusd.toml. */
  readonly configPath: string;
  readonly #tenantKey: string;
  readonly #fingerprint: string;

  private constructor(network: LabNetwork, vms: Record<string, LabVm>, daemon: LabProcess, configPath: string, tenantKey: string, fingerprint: string) {
    this.network = network;
    this.configPath = configPath;
    this.vms = vms;
    this.daemon = daemon;
    this.#tenantKey = tenantKey;
    this.#fingerprint = fingerprint;
  }

  static async start(options: LabSiteOptions): Promise<LabSite> {
    const image = buildTinyImage();
    if (image.status !== 0) throw new Error(`scripts/build-image failed:\n${image.output}`);
    const ramdisk = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'build-ramdisk'), RAMDISK_DIR], { encoding: 'utf8', timeout: 900_000 });
    if (ramdisk.status !== 0) throw new Error(`scripts/build-ramdisk failed:\n${ramdisk.stdout}${ramdisk.stderr}`);
    const manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'nimbus-tiny.json'), 'utf8')) as ImageManifest;
    const zst = manifest.files.find((f) => f.compression === 'zstd')!;

    const network = await LabNetwork.create();
    try {
      const dir = join(network.dir, 'site');
      mkdirSync(dir, { recursive: true });
      const tenantKey = join(dir, 'tenant_ed25519');
      if (spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab-tenant', '-f', tenantKey]).status !== 0) throw new Error('ssh-keygen failed');

      const config = join(dir, 'nimbusd.toml');
      const init = nimbusd('init', '--config', config, '--state-dir', join(dir, 'state'), '--provider-id', 'lab-site');
      if (init.status !== 0) throw new Error(`nimbusd init failed: ${init.stderr}`);
      const text = readFileSync(config, 'utf8')
        .replace(/^listen = ".*:2222"$/m, `listen = "${network.address}:${API_PORT}"`)
        .replace(/^policy = "allowlist"$/m, 'policy = "open"')
        .replace(/^\[metrics\]\n(enabled = .*\n)?/m, '[metrics]\nenabled = false\n');
      writeFileSync(config, text);
      const images = { 'nimbus-tiny': zst.sha256, ...options.sameFileImages };
      appendFileSync(
        config,
        [
          '',
          '[boot]',
          'enabled = true',
          `address = "${network.address}"`,
          'dhcp_mode = "full"',
          `pool = { start = "${network.dhcpPool.first}", end = "${network.dhcpPool.last}", netmask = "255.255.255.0" }`,
          `ramdisk_dir = "${RAMDISK_DIR}"`,
          `pxe_timeout_seconds = ${options.pxeTimeoutSeconds}`,
          'image_timeout_seconds = 300',
          'ssh_timeout_seconds = 240',
          ...Object.entries(images).flatMap(([name, sha]) => ['', '[[images]]', `name = "${name}"`, `file = "${join(IMAGE_DIR, zst.path)}"`, `sha256 = "${sha}"`]),
          '',
        ].join('\n'),
      );
      const check = nimbusd('check-config', '--config', config, '--files');
      if (check.status !== 0) throw new Error(`nimbusd check-config --files: ${check.stdout}${check.stderr}`);

      const password = join(dir, 'bmc-password');
      writeFileSync(password, `${BMC_PASSWORD}\n`, { mode: 0o600 });
      const vms: Record<string, LabVm> = {};
      for (const [index, plan] of options.vms.entries()) {
        // An IPMI VM's serial port is also served on the namespace's loopback for the BMC's SOL.
        const serialPort = plan.bmc === 'ipmi' ? SERIAL_PORT_BASE + index : undefined;
        const vm = await LabVm.create(network, { name: plan.name, firmware: plan.firmware, nic: plan.nic, memoryMiB: plan.memoryMiB, disk: { sizeMiB: plan.diskMiB }, ...(serialPort === undefined ? {} : { serialPort }) });
        vms[plan.name] = vm;
        const bmcFlags =
          plan.bmc === 'redfish'
            ? await startRedfishBmc(network, vm, { user: 'admin', password: BMC_PASSWORD }).then((b) => ['--bmc-driver', 'redfish', '--bmc-host', b.host, '--bmc-port', String(b.port), '--bmc-tls-fingerprint', b.tlsFingerprint])
            : await startIpmiBmc(network, vm, { user: 'admin', password: BMC_PASSWORD }).then((b) => ['--bmc-driver', 'ipmi', '--bmc-host', b.host, '--bmc-port', String(b.port), '--bmc-cipher-suite', '3']);
        const bootMode = plan.firmware === 'uefi' ? 'uefi' : 'legacy';
        const r = nimbusd('machine', 'enroll', '--config', config, '--name', `${plan.name}-vm`, '--class', plan.klass, '--mac', vm.mac, '--bmc-user', 'admin', '--bmc-password-file', password, '--boot-mode', bootMode, ...bmcFlags);
        if (r.status !== 0) throw new Error(`nimbusd machine enroll ${plan.name}: ${r.stderr}`);
        if (plan.unplugged) {
          // An unbridged tap that is up would still hand its broadcasts to a socket on 0.0.0.0.
          await network.run('ip', ['link', 'set', vm.tap, 'nomaster']);
          await network.run('ip', ['link', 'set', vm.tap, 'down']);
        }
      }
      // Inspection is not what the lab is about: the machines go straight to ready.
      const store = new Store({ path: stateDbPath(join(dir, 'state')), clock: () => new Date() });
      const system = { fingerprint: 'lab-site', role: 'system' as const };
      for (const m of store.listMachines()) {
        store.transition(m.id, 'enrolled', 'inspecting', system);
        store.transition(m.id, 'inspecting', 'ready', system);
      }
      store.close();

      const daemon = network.spawn(process.execPath, [NIMBUSD_BIN, 'serve', '--config', config], { log: join(network.dir, 'logs', 'nimbusd.log') });
      const site = new LabSite(network, vms, daemon, config, tenantKey, init.stdout.trim());
      let last: ApiAnswer | undefined;
      for (let i = 0; i < 100; i++) {
        last = await site.api('capacity');
        if (last.ok) return site;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`nimbusd serve did not answer (${JSON.stringify(last?.value)}); its log:\n${readFileSync(daemon.log, 'utf8').slice(-4000)}`);
    } catch (err) {
      await network.destroy();
      throw err;
    }
  }

  /** Where the site's SSH API answers, inside the namespace, and its host key: what its registry entry says. */
  get endpoint(): { host: string; port: number; hostKey: string } {
    return { host: this.network.address, port: API_PORT, hostKey: this.#fingerprint };
  }

  /** The tenant's private key file (its public half beside it, `.pub`). */
  get tenantKeyPath(): string {
    return this.#tenantKey;
  }

  /** The tenant's public key line. */
  get tenantPublicKey(): string {
    return readFileSync(`${this.#tenantKey}.pub`, 'utf8').trim();
  }

  /** One API call as the tenant, from inside the namespace. */
  async api(method: string, params?: unknown, timeoutMs = 30_000): Promise<ApiAnswer> {
    const r = await this.network.run(
      process.execPath,
      ['--conditions=nimbus:source', '--no-warnings', API_CALL, this.network.address, String(API_PORT), this.#tenantKey, this.#fingerprint, method, ...(params === undefined ? [] : [JSON.stringify(params)])],
      { check: false, timeoutMs },
    );
    const last = r.stdout.trim().split('\n').at(-1);
    if (!last) return { ok: false, value: { error: { message: r.stderr.trim().slice(-2000) } } };
    return { ok: r.code === 0, value: JSON.parse(last) };
  }

  /** Creates an instance on a machine of `klass` and follows it to its outcome (the last watch event). */
  async deploy(klass: string, image: string, hostname: string, idempotencyKey: string, waitSeconds: number): Promise<any> {
    const created = await this.api('instances.create', { request: { class: klass, image, sshKeys: [this.tenantPublicKey], hostname }, idempotencyKey });
    if (!created.ok) throw new Error(`instances.create: ${JSON.stringify(created.value)}`);
    const watched = await this.api('instances.watch', { id: created.value.instance.id, timeoutSeconds: waitSeconds }, (waitSeconds + 30) * 1000);
    if (!watched.ok) throw new Error(`instances.watch: ${JSON.stringify(watched.value)}`);
    return watched.value;
  }

  /** Releases an instance (wiping its disk first if asked) and waits until its machine is back in the pool. */
  async release(instanceId: string, wipe?: 'quick' | 'full'): Promise<string> {
    const deleted = await this.api('instances.delete', { id: instanceId, ...(wipe ? { wipe } : {}) });
    if (!deleted.ok) throw new Error(`instances.delete: ${JSON.stringify(deleted.value)}`);
    return (await this.api('instances.watch', { id: instanceId, timeoutSeconds: 300 }, 330_000)).value.outcome;
  }

  /** OpenSSH as the tenant, into an instance. */
  ssh(address: string, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return this.network.run(
      'ssh',
      ['-i', this.#tenantKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', `root@${address}`, command],
      { check: false, timeoutMs: 60_000 },
    );
  }

  /** The daemon's `deploy phase done` log lines for one machine, in order. */
  phases(machineName: string): { phase: string; result: string; seconds: number }[] {
    return readFileSync(this.daemon.log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"deploy phase done"'))
      .map((line) => JSON.parse(line) as { name: string; phase: string; result: string; seconds: number })
      .filter((entry) => entry.name === machineName)
      .map(({ phase, result, seconds }) => ({ phase, result, seconds }));
  }

  destroy(): Promise<void> {
    return this.network.destroy();
  }
}

function nimbusd(...args: string[]): CliRun {
  return runBin(NIMBUSD_BIN, args, { env: process.env as Record<string, string> });
}
