/**
 * The iPXE script that boots a machine into the deploy ramdisk for one boot session. The
 * token rides on the kernel command line (the ramdisk has no other way to learn it) and
 * in the paths of the ramdisk files; the script is only served while the session waits
 * for its machine (see boot-routes.ts).
 */
import type { BootMode } from '../state/boot-sessions.ts';

export interface RamdiskScriptInput {
  /** e.g. http://10.77.0.1:8080 */
  httpBase: string;
  token: string;
  mode: BootMode;
  /** Extra kernel arguments; the serial console by default. */
  kernelArgs?: string;
}

const SAFE = /^[A-Za-z0-9._:/=@,+-]*$/;

export function renderRamdiskScript(input: RamdiskScriptInput): string {
  const args = input.kernelArgs ?? 'console=tty0 console=ttyS0,115200n8';
  for (const [name, value] of Object.entries({ httpBase: input.httpBase, token: input.token, kernelArgs: args.replaceAll(' ', '') })) {
    // iPXE expands ${…} and splits on spaces; nothing here may carry either.
    if (!SAFE.test(value)) throw new Error(`ramdisk script: ${name} has characters iPXE would interpret`);
  }
  const files = `${input.httpBase}/boot/ramdisk/${input.token}`;
  return [
    '#!ipxe',
    'echo Nimbus: booting the deploy ramdisk',
    `kernel ${files}/vmlinuz initrd=initramfs.img nimbus.api=${input.httpBase} nimbus.token=${input.token} nimbus.mode=${input.mode} ${args} quiet`,
    `initrd ${files}/initramfs.img`,
    'boot || goto failed',
    ':failed',
    'echo Nimbus: the ramdisk did not boot; retrying in 10 s',
    'sleep 10',
    'reboot',
    '',
  ].join('\n');
}

/** For a machine with no boot session: leave iPXE so the firmware boots the next device (the disk). */
export const LOCAL_BOOT_SCRIPT = '#!ipxe\necho Nimbus: nothing to deploy here; booting from disk\nexit\n';
