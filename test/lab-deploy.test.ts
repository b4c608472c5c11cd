// The whole deploy, on real (virtual) machines: `nimbusd serve` with its own DHCP (full
// mode), TFTP and HTTP inside a lab network namespace, qemu VMs behind the Redfish emulator
// (SeaBIOS, e1000 with qemu's iPXE ROM) and behind ipmi_sim (OVMF with its own PXE, which
// fetches ipxe.efi over TFTP), the ramdisk from scripts/build-ramdisk writing the image from
// scripts/build-image. Each deploy ends with OpenSSH logging in with the tenant's key.
// Then: release and deploy again onto the same VM; an image whose sha256 is wrong leaves
// the disk untouched and the machine in error/image_checksum; a VM whose NIC is unplugged
// ends in error/pxe_timeout.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../packages/nimbusd/src/state/store.ts';
import { stateDbPath } from '../packages/nimbusd/src/state/database.ts';
import { buildTinyImage, IMAGE_DIR, type ImageManifest } from './image-support/tiny-image.ts';
import { LabNetwork, LabVm, labMissing, startIpmiBmc, startRedfishBmc, type LabProcess } from './lab/index.ts';
import { NIMBUSD_BIN } from './support/cli.ts';
import { REPO_ROOT } from './support/nimbusctl.ts';

const RAMDISK_DIR = join(REPO_ROOT, '.cache', 'boot', 'ramdisk');
const API_CALL = join(REPO_ROOT, 'test', 'lab-support', 'api-call.ts');
/** One deploy under TCG is about a minute; this bounds each wait with room for a loaded machine. */
const DEPLOY_WAIT_S = 420;
/** UEFI firmware PXE reaches iPXE's script in about 25 s under TCG (NOTES.md); twice that and more for a loaded machine. */
const PXE_TIMEOUT_S = 90;
const BMC_PASSWORD = 'lab-bmc-secret-7';

function whyNot(): string | undefined {
  const lab = labMissing();
  if (lab) return lab;
  const ssh = spawnSync('sh', ['-c', 'command -v ssh && command -v ssh-keygen']);
  if (ssh.status !== 0) return 'OpenSSH client not installed (Debian package openssh-client)';
  return undefined;
}
const missing = whyNot();

interface Call {
  ok: boolean;
  value: any;
}

describe.skipIf(missing !== undefined)(`deploying VMs through nimbusd's boot service${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let network: LabNetwork;
  let dir: string;
  let config: string;
  let fingerprint: string;
  let tenantKey: string;
  let daemon: LabProcess;
  const vms: Record<string, LabVm> = {};

  const nimbusd = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [NIMBUSD_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const api = async (method: string, params?: unknown, timeoutMs = 30_000): Promise<Call> => {
    const r = await network.run(
      process.execPath,
      ['--conditions=nimbus:source', '--no-warnings', API_CALL, network.address, '2222', tenantKey, fingerprint, method, ...(params === undefined ? [] : [JSON.stringify(params)])],
      { check: false, timeoutMs },
    );
    const last = r.stdout.trim().split('\n').at(-1);
    if (!last) return { ok: false, value: { error: { message: r.stderr.trim().slice(-2000) } } };
    return { ok: r.code === 0, value: JSON.parse(last) };
  };
  const ssh = (address: string, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    network.run(
      'ssh',
      ['-i', tenantKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', `root@${address}`, command],
      { check: false, timeoutMs: 60_000 },
    );
  /** Creates an instance on a machine of `klass` and follows it to its outcome. */
  const deploy = async (klass: string, image: string, hostname: string, key: string): Promise<any> => {
    const pub = readFileSync(`${tenantKey}.pub`, 'utf8').trim();
    const created = await api('instances.create', { request: { class: klass, image, sshKeys: [pub], hostname }, idempotencyKey: key });
    expect(created.ok, JSON.stringify(created.value)).toBe(true);
    const watched = await api('instances.watch', { id: created.value.instance.id, timeoutSeconds: DEPLOY_WAIT_S }, (DEPLOY_WAIT_S + 30) * 1000);
    expect(watched.ok, JSON.stringify(watched.value)).toBe(true);
    return watched.value;
  };
  const diskDigest = (path: string): string => {
    const fd = openSync(path, 'r');
    try {
      const hash = createHash('sha256');
      const buffer = Buffer.alloc(1 << 20);
      for (let i = 0; i < 128; i++) {
        const n = readSync(fd, buffer, 0, buffer.length, i * buffer.length);
        if (n <= 0) break;
        hash.update(buffer.subarray(0, n));
      }
      return hash.digest('hex');
    } finally {
      closeSync(fd);
    }
  };

  beforeAll(async () => {
    const image = buildTinyImage();
    if (image.status !== 0) throw new Error(`scripts/build-image failed:\n${image.output}`);
    const ramdisk = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'build-ramdisk'), RAMDISK_DIR], { encoding: 'utf8', timeout: 900_000 });
    if (ramdisk.status !== 0) throw new Error(`scripts/build-ramdisk failed:\n${ramdisk.stdout}${ramdisk.stderr}`);
    const manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'nimbus-tiny.json'), 'utf8')) as ImageManifest;
    const zst = manifest.files.find((f) => f.compression === 'zstd')!;

    network = await LabNetwork.create();
    dir = join(network.dir, 'site');
    mkdirSync(dir, { recursive: true });
    tenantKey = join(dir, 'tenant_ed25519');
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab-tenant', '-f', tenantKey]).status).toBe(0);

    config = join(dir, 'nimbusd.toml');
    const init = nimbusd('init', '--config', config, '--state-dir', join(dir, 'state'), '--provider-id', 'lab-site');
    expect(init.status, init.stderr).toBe(0);
    fingerprint = init.stdout.trim();
    const text = readFileSync(config, 'utf8').replace(/^listen = ".*:2222"$/m, `listen = "${network.address}:2222"`).replace(/^policy = "allowlist"$/m, 'policy = "open"');
    const { first: start, last: end } = network.dhcpPool;
    writeFileSync(config, text.replace(/^\[metrics\]\n(enabled = .*\n)?/m, '[metrics]\nenabled = false\n'));
    appendFileSync(
      config,
      [
        '',
        '[boot]',
        'enabled = true',
        `address = "${network.address}"`,
        'dhcp_mode = "full"',
        `pool = { start = "${start}", end = "${end}", netmask = "255.255.255.0" }`,
        `ramdisk_dir = "${RAMDISK_DIR}"`,
        `pxe_timeout_seconds = ${PXE_TIMEOUT_S}`,
        'image_timeout_seconds = 300',
        'ssh_timeout_seconds = 240',
        '',
        '[[images]]',
        'name = "nimbus-tiny"',
        `file = "${join(IMAGE_DIR, zst.path)}"`,
        `sha256 = "${zst.sha256}"`,
        '',
        '[[images]]',
        'name = "bad-checksum"',
        `file = "${join(IMAGE_DIR, zst.path)}"`,
        `sha256 = "${'0'.repeat(64)}"`,
        '',
      ].join('\n'),
    );
    const check = nimbusd('check-config', '--config', config, '--files');
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);

    const password = join(dir, 'bmc-password');
    writeFileSync(password, `${BMC_PASSWORD}\n`, { mode: 0o600 });
    const enroll = (name: string, klass: string, mac: string, bmc: string[]): void => {
      const r = nimbusd('machine', 'enroll', '--config', config, '--name', name, '--class', klass, '--mac', mac, '--bmc-user', 'admin', '--bmc-password-file', password, ...bmc);
      expect(r.status, r.stderr).toBe(0);
    };
    vms.bios = await LabVm.create(network, { name: 'bios', firmware: 'bios', nic: 'e1000', memoryMiB: 512, disk: { sizeMiB: 128 } });
    vms.uefi = await LabVm.create(network, { name: 'uefi', firmware: 'uefi', nic: 'virtio-native-pxe', memoryMiB: 512, disk: { sizeMiB: 128 } });
    vms.unplugged = await LabVm.create(network, { name: 'unplugged', firmware: 'bios', nic: 'e1000', memoryMiB: 256, disk: { sizeMiB: 16 } });
    const redfish = await startRedfishBmc(network, vms.bios, { user: 'admin', password: BMC_PASSWORD });
    const ipmi = await startIpmiBmc(network, vms.uefi, { user: 'admin', password: BMC_PASSWORD });
    const unpluggedBmc = await startRedfishBmc(network, vms.unplugged, { user: 'admin', password: BMC_PASSWORD });
    enroll('bios-vm', 'bios', vms.bios.mac, ['--bmc-driver', 'redfish', '--bmc-host', redfish.host, '--bmc-port', String(redfish.port), '--bmc-tls-fingerprint', redfish.tlsFingerprint, '--boot-mode', 'legacy']);
    enroll('uefi-vm', 'uefi', vms.uefi.mac, ['--bmc-driver', 'ipmi', '--bmc-host', ipmi.host, '--bmc-port', String(ipmi.port), '--bmc-cipher-suite', '3', '--boot-mode', 'uefi']);
    enroll('unplugged-vm', 'unplugged', vms.unplugged.mac, ['--bmc-driver', 'redfish', '--bmc-host', unpluggedBmc.host, '--bmc-port', String(unpluggedBmc.port), '--bmc-tls-fingerprint', unpluggedBmc.tlsFingerprint, '--boot-mode', 'legacy']);
    // Unplugged: its tap leaves the bridge and goes down, so nothing it sends reaches anyone
    // (an unbridged tap that is up would still hand its broadcasts to a socket on 0.0.0.0).
    await network.run('ip', ['link', 'set', vms.unplugged.tap, 'nomaster']);
    await network.run('ip', ['link', 'set', vms.unplugged.tap, 'down']);

    // Inspection is not what this test is about: the machines go straight to ready.
    const store = new Store({ path: stateDbPath(join(dir, 'state')), clock: () => new Date() });
    const system = { fingerprint: 'lab-test', role: 'system' as const };
    for (const m of store.listMachines()) {
      store.transition(m.id, 'enrolled', 'inspecting', system);
      store.transition(m.id, 'inspecting', 'ready', system);
    }
    store.close();

    daemon = network.spawn(process.execPath, [NIMBUSD_BIN, 'serve', '--config', config], { log: join(network.dir, 'logs', 'nimbusd.log') });
    let last: Call | undefined;
    for (let i = 0; i < 100; i++) {
      last = await api('capacity');
      if (last.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`nimbusd serve did not answer (${JSON.stringify(last?.value)}); its log:\n${readFileSync(daemon.log, 'utf8').slice(-4000)}`);
  }, 1_200_000);

  afterAll(async () => {
    if (process.env.NIMBUS_LAB_KEEP) console.log(`lab kept in ${network?.dir}`);
    await network?.destroy();
  });

  it('deploys a BIOS VM behind Redfish and a UEFI VM behind ipmi_sim, and the tenant logs in to each with OpenSSH', async () => {
    const started = Date.now();
    const [bios, uefi] = await Promise.all([deploy('bios', 'nimbus-tiny', 'lab-bios', 'k-bios-1'), deploy('uefi', 'nimbus-tiny', 'lab-uefi', 'k-uefi-1')]);
    console.log(`two VMs deployed in parallel in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const [event, hostname] of [[bios, 'lab-bios'], [uefi, 'lab-uefi']] as const) {
      expect(event.outcome, JSON.stringify(event)).toBe('deployed');
      const login = await ssh(event.instance.address, 'hostname');
      expect(login.stdout.trim(), login.stderr).toBe(hostname);
    }
    // ipmi_sim's VM fetched iPXE for UEFI over nimbusd's TFTP (OVMF's own PXE has no iPXE).
    expect(vms.uefi!.serialText()).toMatch(/NIMBUS-IMAGE-READY hostname=lab-uefi/);
  }, 900_000);

  it('releases the BIOS VM (powered off, back in the pool) and deploys onto it again', async () => {
    const list = await api('instances.list', { live: true });
    const bios = list.value.instances.find((i: any) => i.request.hostname === 'lab-bios');
    expect((await api('instances.delete', { id: bios.id })).ok).toBe(true);
    const released = await api('instances.watch', { id: bios.id, timeoutSeconds: 120 }, 150_000);
    expect(released.value.outcome).toBe('released');
    expect(await vms.bios!.powerState()).toBe('off');
    const again = await deploy('bios', 'nimbus-tiny', 'lab-bios-2', 'k-bios-2');
    expect(again.outcome, JSON.stringify(again)).toBe('deployed');
    expect((await ssh(again.instance.address, 'hostname')).stdout.trim()).toBe('lab-bios-2');
  }, 900_000);

  it('an image whose sha256 is wrong leaves the disk untouched and the machine in error/image_checksum; an unplugged NIC ends in error/pxe_timeout', async () => {
    const list = await api('instances.list', { live: true });
    const bios = list.value.instances.find((i: any) => i.request.hostname === 'lab-bios-2');
    expect((await api('instances.delete', { id: bios.id })).ok).toBe(true);
    expect((await api('instances.watch', { id: bios.id, timeoutSeconds: 120 }, 150_000)).value.outcome).toBe('released');
    const before = diskDigest(vms.bios!.diskPath);
    const started = Date.now();
    const [bad, unplugged] = await Promise.all([deploy('bios', 'bad-checksum', 'lab-bad', 'k-bad'), deploy('unplugged', 'nimbus-tiny', 'lab-unplugged', 'k-unplugged')]);
    expect(bad.outcome).toBe('failed');
    expect(bad.error).toMatchObject({ class: 'image_checksum' });
    expect(diskDigest(vms.bios!.diskPath)).toBe(before);
    expect(unplugged.outcome).toBe('failed');
    expect(unplugged.error).toMatchObject({ class: 'pxe_timeout' });
    expect(unplugged.error.message).toContain(`within ${PXE_TIMEOUT_S} s: no DHCP request came from it`);
    console.log(`failures reported in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The daemon's log holds neither the BMC password nor any token.
    const log = readFileSync(daemon.log, 'utf8');
    expect(log).not.toContain(BMC_PASSWORD);
    expect(log).not.toMatch(/nimbus\.token=[A-Za-z0-9_-]{20}/);
    rmSync(join(dir, 'bmc-password'), { force: true });
  }, 900_000);
});
