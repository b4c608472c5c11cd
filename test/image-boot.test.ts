// The tiny image (scripts/build-image) booted from its disk in qemu under TCG, once through
// SeaBIOS and once through OVMF: it reads a NoCloud seed written into its CIDATA partition,
// announces NIMBUS-IMAGE-READY on the serial console, and lets in over SSH exactly the key
// the seed names (and never a password); poweroff and reboot work from a shell.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ext4Label, fatLabel, readMbr, type MbrPartition } from './image-support/disk-layout.ts';
import { freeTcpPort } from './support/free-port.ts';
import { generateEd25519Key, ssh } from './image-support/openssh.ts';
import { BUILD_MISSING, bootToolsMissing, buildTinyImage, copyImage, IMAGE_DIR, writeSeed, type ImageManifest, type NoCloudSeed } from './image-support/tiny-image.ts';
import { killAllTinyVms, OVMF_CODE, OVMF_VARS, TinyVm, type Firmware } from './image-support/tiny-vm.ts';

const MIB = 1024 * 1024;
/** One boot, from starting qemu to the READY line; TCG on a busy 2-core box. */
const BOOT_LIMIT_MS = 150_000;
const STOP_LIMIT_MS = 60_000;
const READY = /NIMBUS-IMAGE-READY hostname=(\S+)/;

const missing = bootToolsMissing();
const build = missing === undefined ? buildTinyImage() : undefined;
const skipReason = missing ?? (build?.status === BUILD_MISSING ? build.output.trim().split('\n').slice(-1)[0] : undefined);
const ovmfMissing = [OVMF_CODE, OVMF_VARS].find((f) => !existsSync(f));

async function streamSha256(path: string, decompress?: Transform): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done();
    },
  });
  if (decompress) await pipeline(createReadStream(path), decompress, sink);
  else await pipeline(createReadStream(path), sink);
  return { sha256: hash.digest('hex'), bytes };
}

function hostKeys(console: string): string[] {
  return console.split('\n').filter((l) => l.startsWith('NIMBUS-HOSTKEY '));
}

describe.skipIf(skipReason !== undefined)(`tiny image boots from disk in qemu (TCG)${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir: string;
  let manifest: ImageManifest;
  let raw: string;
  let seedPartition: MbrPartition;
  let key: string;
  let keyLine: string;
  let strangerKey: string;
  const figures: string[] = [];

  beforeAll(() => {
    if (build?.status !== 0) throw new Error(`scripts/build-image failed (status ${build?.status}):\n${build?.output}`);
    manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'nimbus-tiny.json'), 'utf8')) as ImageManifest;
    raw = join(IMAGE_DIR, manifest.files.find((f) => f.compression === 'none')!.path);
    seedPartition = readMbr(raw).partitions.find((p) => p.number === 3)!;
    dir = mkdtempSync(join(tmpdir(), 'nimbus-image-boot-'));
    key = join(dir, 'tenant_ed25519');
    keyLine = generateEd25519Key(key, 'tenant@image-boot-test');
    strangerKey = join(dir, 'stranger_ed25519');
    generateEd25519Key(strangerKey, 'stranger@image-boot-test');
    const sizes = manifest.files.map((f) => `${f.compression === 'none' ? 'raw' : f.compression} ${(f.sizeBytes / MIB).toFixed(1)} MiB`);
    figures.push(`image: ${sizes.join(', ')}; raw allocated on disk ${((statSync(raw).blocks * 512) / MIB).toFixed(1)} MiB`);
  });

  afterAll(() => {
    killAllTinyVms();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (figures.length) console.log(`tiny image (TCG, 1 vCPU):\n  ${figures.join('\n  ')}`);
  });

  /** A fresh copy of the image with `seed` in its CIDATA partition. */
  function seededDisk(name: string, seed: NoCloudSeed): string {
    const disk = join(dir, `${name}.raw`);
    copyImage(raw, disk);
    const scratch = mkdtempSync(join(dir, `${name}-seed-`));
    writeSeed(disk, seedPartition.offset, seed, scratch);
    return disk;
  }

  async function bootToReady(firmware: Firmware, disk: string, label: string): Promise<{ vm: TinyVm; port: number; hostname: string }> {
    const port = await freeTcpPort();
    const vm = new TinyVm({ firmware, disk, sshPort: port, serialLog: join(dir, `${label}.serial.log`), uefiVars: join(dir, `${label}.vars.fd`) });
    const ready = await vm.waitFor(READY, BOOT_LIMIT_MS);
    figures.push(`${label}: boot to NIMBUS-IMAGE-READY ${ready.seconds.toFixed(1)} s`);
    return { vm, port, hostname: ready.match[1]! };
  }

  it('lists a raw, a gzip and a zstd file whose sizes and sha256 match, all the same disk', async () => {
    expect(manifest.name).toBe('nimbus-tiny');
    expect(manifest.sshUser).toBe('root');
    expect(manifest.files.map((f) => f.compression).sort()).toEqual(['gzip', 'none', 'zstd']);
    for (const file of manifest.files) {
      expect(file.format).toBe('raw');
      const path = join(IMAGE_DIR, file.path);
      expect(statSync(path).size).toBe(file.sizeBytes);
      expect((await streamSha256(path)).sha256).toBe(file.sha256);
    }
    const rawEntry = manifest.files.find((f) => f.compression === 'none')!;
    const gz = await streamSha256(join(IMAGE_DIR, manifest.files.find((f) => f.compression === 'gzip')!.path), createGunzip());
    const zst = await streamSha256(join(IMAGE_DIR, manifest.files.find((f) => f.compression === 'zstd')!.path), createZstdDecompress());
    expect(gz).toEqual({ sha256: rawEntry.sha256, bytes: rawEntry.sizeBytes });
    expect(zst).toEqual({ sha256: rawEntry.sha256, bytes: rawEntry.sizeBytes });
    // sparse: most of the raw file is holes
    expect(statSync(raw).blocks * 512).toBeLessThan(rawEntry.sizeBytes / 2);
  });

  it('is an MBR disk: an active FAT32 ESP (0xEF), the ext4 root, and a 4 MiB FAT partition labelled CIDATA', () => {
    const { partitions } = readMbr(raw);
    expect(partitions.map((p) => p.number)).toEqual([1, 2, 3]);
    const [esp, root, seed] = partitions as [MbrPartition, MbrPartition, MbrPartition];
    expect({ type: esp.type, active: esp.active }).toEqual({ type: 0xef, active: true });
    expect(fatLabel(raw, esp.offset)?.fat).toBe('FAT32');
    expect({ type: root.type, active: root.active }).toEqual({ type: 0x83, active: false });
    expect(ext4Label(raw, root.offset)).toBe('nimbus-root');
    expect(seed.bytes).toBe(4 * MIB);
    expect(fatLabel(raw, seed.offset)?.label).toBe('CIDATA');
    // the partitions follow each other and end with the disk
    expect(root.startLba).toBe(esp.startLba + esp.sectors);
    expect(seed.startLba).toBe(root.startLba + root.sectors);
    expect(seed.offset + seed.bytes).toBe(statSync(raw).size);
  });

  it(
    'under SeaBIOS: takes the seed, lets in only its key, powers off from a shell, and keeps hostname and host keys at the next boot',
    async () => {
      const name = 'tiny-bios';
      const disk = seededDisk('bios', {
        'meta-data': `instance-id: i-bios-0001\nlocal-hostname: ${name}\n`,
        'user-data': `#cloud-config\nhostname: ${name}\nssh_authorized_keys:\n  - ${keyLine}\n`,
        'network-config': 'version: 2\nethernets:\n  all:\n    match:\n      name: "*"\n    dhcp4: true\n',
      });
      const first = await bootToReady('bios', disk, 'bios boot 1');
      expect(first.hostname).toBe(name);

      const hostname = await ssh(first.port, 'root', key, 'hostname');
      expect(hostname.stderr).toBe('');
      expect({ status: hostname.status, stdout: hostname.stdout.trim() }).toEqual({ status: 0, stdout: name });

      const stranger = await ssh(first.port, 'root', strangerKey, 'hostname');
      expect(stranger.status).toBe(255);
      expect(stranger.stdout).toBe('');
      expect(stranger.stderr).toMatch(/Permission denied \(publickey\)/);

      // the only method the server offers is publickey: no password can ever work
      const password = await ssh(first.port, 'root', undefined, 'hostname');
      expect(password.status).toBe(255);
      expect(password.stderr).toMatch(/Permission denied \(publickey\)\./);

      const modes = await ssh(first.port, 'root', key, 'stat -c "%a %u %n" /root/.ssh/authorized_keys /root/.ssh; cat /root/.ssh/authorized_keys');
      expect(modes.stdout.trim().split('\n')).toEqual(['600 0 /root/.ssh/authorized_keys', '700 0 /root/.ssh', keyLine]);

      const keysAtFirstBoot = hostKeys(first.vm.console());
      expect(keysAtFirstBoot.map((l) => l.split(' ')[1])).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);

      void ssh(first.port, 'root', key, 'poweroff', 20_000);
      expect(await first.vm.waitForExit(STOP_LIMIT_MS)).toBe(0);
      expect(first.vm.console()).toMatch(/reboot: Power down/);

      const second = await bootToReady('bios', disk, 'bios boot 2');
      expect(second.hostname).toBe(name);
      expect(second.vm.console()).toMatch(/instance i-bios-0001 was set up at an earlier boot/);
      expect(hostKeys(second.vm.console())).toEqual(keysAtFirstBoot);
      const again = await ssh(second.port, 'root', key, 'hostname');
      expect({ status: again.status, stdout: again.stdout.trim() }).toEqual({ status: 0, stdout: name });
      second.vm.kill();
    },
    2 * BOOT_LIMIT_MS + 2 * STOP_LIMIT_MS,
  );

  it.skipIf(ovmfMissing !== undefined)(
    `under OVMF (q35, AHCI disk, e1000e NIC): takes the hostname from user-data, lets in only the seed's key, reboots from a shell${ovmfMissing ? ` (skipped: ${ovmfMissing} missing, Debian package ovmf)` : ''}`,
    async () => {
      const name = 'tiny-uefi';
      const disk = seededDisk('uefi', {
        'meta-data': 'instance-id: i-uefi-0001\n',
        'user-data': `#cloud-config\nhostname: ${name}\nssh_authorized_keys:\n  - ${keyLine}\n`,
      });
      const boot = await bootToReady('uefi', disk, 'uefi boot');
      expect(boot.hostname).toBe(name);

      const hostname = await ssh(boot.port, 'root', key, 'hostname; test -d /sys/firmware/efi && echo efi');
      expect({ status: hostname.status, stdout: hostname.stdout.trim().split('\n') }).toEqual({ status: 0, stdout: [name, 'efi'] });

      const stranger = await ssh(boot.port, 'root', strangerKey, 'hostname');
      expect(stranger.status).toBe(255);
      expect(stranger.stderr).toMatch(/Permission denied \(publickey\)/);

      void ssh(boot.port, 'root', key, 'reboot', 20_000);
      expect(await boot.vm.waitForExit(STOP_LIMIT_MS)).toBe(0);
      expect(boot.vm.console()).toMatch(/reboot: Restarting system/);
    },
    BOOT_LIMIT_MS + STOP_LIMIT_MS,
  );
});
