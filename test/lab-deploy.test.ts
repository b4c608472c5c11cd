// The whole deploy, on real (virtual) machines: `nimbusd serve` with its own DHCP (full
// mode), TFTP and HTTP inside a lab network namespace, qemu VMs behind the Redfish emulator
// (SeaBIOS, e1000 with qemu's iPXE ROM) and behind ipmi_sim (OVMF with its own PXE, which
// fetches ipxe.efi over TFTP), the ramdisk from scripts/build-ramdisk writing the image from
// scripts/build-image. Each deploy ends with OpenSSH logging in with the tenant's key.
// Then: release and deploy again onto the same VM; an image whose sha256 is wrong leaves
// the disk untouched and the machine in error/image_checksum; a VM whose NIC is unplugged
// ends in error/pxe_timeout.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSite, labSiteMissing } from './lab-support/lab-site.ts';

/** One deploy under TCG is about a minute; this bounds each wait with room for a loaded machine. */
const DEPLOY_WAIT_S = 420;
/** UEFI firmware PXE reaches iPXE's script in about 25 s under TCG (NOTES.md); this leaves room for a loaded machine. */
const PXE_TIMEOUT_S = 90;

const missing = labSiteMissing();

/** SHA-256 of the first 128 MiB of a disk file. */
function diskDigest(path: string): string {
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
}

describe.skipIf(missing !== undefined)(`deploying VMs through nimbusd's boot service${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let site: LabSite;

  beforeAll(async () => {
    site = await LabSite.start({
      pxeTimeoutSeconds: PXE_TIMEOUT_S,
      sameFileImages: { 'bad-checksum': '0'.repeat(64) },
      vms: [
        { name: 'bios', klass: 'bios', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 512, diskMiB: 128 },
        { name: 'uefi', klass: 'uefi', firmware: 'uefi', nic: 'virtio-native-pxe', bmc: 'ipmi', memoryMiB: 512, diskMiB: 128 },
        { name: 'unplugged', klass: 'unplugged', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 256, diskMiB: 16, unplugged: true },
      ],
    });
  }, 1_200_000);

  afterAll(async () => {
    if (process.env.NIMBUS_LAB_KEEP) console.log(`lab kept in ${site?.network.dir}`);
    await site?.destroy();
  });

  it('deploys a BIOS VM behind Redfish and a UEFI VM behind ipmi_sim, and the tenant logs in to each with OpenSSH', async () => {
    const started = Date.now();
    const [bios, uefi] = await Promise.all([
      site.deploy('bios', 'nimbus-tiny', 'lab-bios', 'k-bios-1', DEPLOY_WAIT_S),
      site.deploy('uefi', 'nimbus-tiny', 'lab-uefi', 'k-uefi-1', DEPLOY_WAIT_S),
    ]);
    console.log(`two VMs deployed in parallel in ${((Date.now() - started) / 1000).toFixed(1)} s; phases: bios ${JSON.stringify(site.phases('bios-vm'))}, uefi ${JSON.stringify(site.phases('uefi-vm'))}`);
    for (const [event, hostname] of [[bios, 'lab-bios'], [uefi, 'lab-uefi']] as const) {
      expect(event.outcome, JSON.stringify(event)).toBe('deployed');
      const login = await site.ssh(event.instance.address, 'hostname');
      expect(login.stdout.trim(), login.stderr).toBe(hostname);
    }
    expect(site.vms.uefi!.serialText()).toMatch(/NIMBUS-IMAGE-READY hostname=lab-uefi/);
  }, 900_000);

  it('releases the BIOS VM with a quick wipe (its partition table gone, powered off, back in the pool) and deploys onto it again', async () => {
    const list = await site.api('instances.list', { live: true });
    const bios = list.value.instances.find((i: any) => i.request.hostname === 'lab-bios');
    expect(await site.release(bios.id, 'quick')).toBe('released');
    expect(await site.vms.bios!.powerState()).toBe('off');
    const head = Buffer.alloc(4 << 20);
    const fd = openSync(site.vms.bios!.diskPath, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    expect(head.every((b) => b === 0)).toBe(true);
    const again = await site.deploy('bios', 'nimbus-tiny', 'lab-bios-2', 'k-bios-2', DEPLOY_WAIT_S);
    expect(again.outcome, JSON.stringify(again)).toBe('deployed');
    expect((await site.ssh(again.instance.address, 'hostname')).stdout.trim()).toBe('lab-bios-2');
  }, 900_000);

  it('an image whose sha256 is wrong leaves the disk untouched and the machine in error/image_checksum; an unplugged NIC ends in error/pxe_timeout', async () => {
    const list = await site.api('instances.list', { live: true });
    const bios = list.value.instances.find((i: any) => i.request.hostname === 'lab-bios-2');
    expect(await site.release(bios.id)).toBe('released');
    const before = diskDigest(site.vms.bios!.diskPath);
    const started = Date.now();
    const [bad, unplugged] = await Promise.all([
      site.deploy('bios', 'bad-checksum', 'lab-bad', 'k-bad', DEPLOY_WAIT_S),
      site.deploy('unplugged', 'nimbus-tiny', 'lab-unplugged', 'k-unplugged', DEPLOY_WAIT_S),
    ]);
    console.log(`failures reported in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(bad.outcome).toBe('failed');
    expect(bad.error).toMatchObject({ class: 'image_checksum' });
    expect(diskDigest(site.vms.bios!.diskPath)).toBe(before);
    expect(unplugged.outcome).toBe('failed');
    expect(unplugged.error).toMatchObject({ class: 'pxe_timeout' });
    expect(unplugged.error.message).toContain(`within ${PXE_TIMEOUT_S} s: no DHCP request came from it`);
    // The daemon's log holds neither the BMC password nor any token.
    const log = readFileSync(site.daemon.log, 'utf8');
    expect(log).not.toContain(site.bmcPassword);
    expect(log).not.toMatch(/nimbus\.token=[A-Za-z0-9_-]{20}/);
  }, 900_000);
});
