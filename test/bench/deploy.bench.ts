/**
 * PXE → SSH-ready for one VM at a time under this machine's accelerator (TCG here), by
 * phase, for a SeaBIOS VM behind Redfish (iPXE ROM, script over HTTP) and an OVMF VM behind
 * ipmi_sim (firmware PXE, ipxe.efi over TFTP). Side by side, the reference in the same run:
 * the same VM booting its deployed disk straight to a working SSH login (a power cycle),
 * which is the floor of the last phase. Goal: ≤ 90 s under TCG, ≤ 60 s with KVM.
 * Bounded: one deploy per VM, each waited for at most 420 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IMAGE_DIR, type ImageManifest } from '../image-support/tiny-image.ts';
import { detectAccel } from '../lab/index.ts';
import { LabSite, labSiteMissing } from '../lab-support/lab-site.ts';
import { markdownTable, type BenchSection } from './report.ts';

const TITLE = 'Deploy: PXE → SSH-ready, by phase';

/** "the 14 MiB zstd image of 96 MiB", read from the manifest of the image LabSite.start built and serves. */
export function tinyImageLabel(): string {
  const manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'nimbus-tiny.json'), 'utf8')) as ImageManifest;
  const mib = (compression: string): string => {
    const file = manifest.files.find((f) => f.compression === compression);
    return file === undefined ? '?' : `${Math.round(file.sizeBytes / 2 ** 20)} MiB`;
  };
  return `the ${mib('zstd')} zstd image of ${mib('none')}`;
}

async function sshReadyAfterPowerCycle(site: LabSite, vm: string, address: string, budgetMs: number): Promise<number> {
  await site.vms[vm]!.powerOff();
  const start = performance.now();
  await site.vms[vm]!.powerOn();
  while (performance.now() - start < budgetMs) {
    if ((await site.ssh(address, 'true')).code === 0) return (performance.now() - start) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return Number.NaN;
}

export async function run(): Promise<BenchSection> {
  const missing = labSiteMissing();
  if (missing) return { title: TITLE, markdown: `Not measured: ${missing}.` };
  const accel = await detectAccel();
  const site = await LabSite.start({
    pxeTimeoutSeconds: 120,
    vms: [
      { name: 'bios', klass: 'bios', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 512, diskMiB: 128 },
      { name: 'uefi', klass: 'uefi', firmware: 'uefi', nic: 'virtio-native-pxe', bmc: 'ipmi', memoryMiB: 512, diskMiB: 128 },
    ],
  });
  try {
    const rows: string[][] = [];
    for (const vm of ['bios', 'uefi']) {
      const start = performance.now();
      const event = await site.deploy(vm, 'nimbus-tiny', `bench-${vm}`, `bench-${vm}`, 420);
      const total = (performance.now() - start) / 1000;
      if (event.outcome !== 'deployed') {
        rows.push([vm, `failed: ${event.error?.class ?? event.outcome}`, '', '', '', '', '', '']);
        continue;
      }
      const phases = Object.fromEntries(site.phases(`${vm}-vm`).map((p) => [p.phase, p.seconds]));
      const reference = await sshReadyAfterPowerCycle(site, vm, event.instance.address, 180_000);
      const s = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(1)} s`);
      rows.push([vm === 'bios' ? 'SeaBIOS, Redfish' : 'OVMF, IPMI', s(phases.power), s(phases.pxe), s(phases.image), s(phases.ssh), `**${s(total)}**`, s(reference), total <= 90 ? 'met' : 'missed']);
    }
    const markdown = [
      `One deploy per VM (${accel.toUpperCase()}, 1 vCPU, 512 MiB, ${tinyImageLabel()}), timed from \`instances.create\` to \`deployed\` by nimbusd's own phase log: power (BMC boot override and power on), pxe (until the ramdisk asks for its instructions), image (download, verify, write, seed), ssh (reboot until sshd answers). Reference: the same VM power-cycled into its deployed disk until an SSH login works.`,
      '',
      markdownTable(['VM', 'power', 'pxe', 'image', 'ssh', 'total', 'reference: disk boot → SSH', 'goal ≤ 90 s'], rows),
    ].join('\n');
    return { title: TITLE, markdown };
  } finally {
    await site.destroy();
  }
}
