/**
 * The `chassis_control` program of an ipmi_sim BMC in front of a lab VM (NOTES §4c, "mode B").
 * ipmi_sim runs it with popen() for every power or boot-device request and blocks until its
 * stdout closes, so it must finish fast (ipmitool retransmits after 1 s, and a reset would
 * then run twice) and must not leave anything holding stdout (qemu -daemonizes with its
 * output in a file, see vm-control.ts).
 *
 *   chassis-control.ts STATE_DIR get power boot          → "power:0|1", "boot:pxe|default"
 *   chassis-control.ts STATE_DIR set power 1|0           → VM on / hard off
 *   chassis-control.ts STATE_DIR set reset 1             → hard reset from the next boot device
 *   chassis-control.ts STATE_DIR set shutdown 1          → off (lab guests ignore ACPI)
 *   chassis-control.ts STATE_DIR set boot pxe|default|none → one-time PXE / disk / no override
 *
 * IPMI boot flags are one-shot unless the client asks for persistence, which ipmi_sim does
 * not pass on: "pxe" and "default" apply to the next boot only.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmController } from './vm-control.ts';

async function set(vm: VmController, parm: string, value: string): Promise<void> {
  switch (parm) {
    case 'power':
      return value === '1' ? vm.powerOn() : vm.powerOff();
    case 'reset':
      return vm.reset();
    case 'shutdown':
      return vm.powerOff();
    case 'boot':
      if (value === 'pxe') return vm.setBootDevice('pxe', { once: true });
      if (value === 'default') return vm.setBootDevice('disk', { once: true });
      if (value === 'none') return vm.clearBootOnce();
      throw new Error(`boot device "${value}" does not exist in the lab (only pxe and the disk)`);
    case 'identify':
      return;
    default:
      throw new Error(`unknown parameter "${parm}"`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [stateDir, op, ...rest] = argv;
  if (stateDir === undefined || op === undefined) {
    process.stderr.write('usage: chassis-control.ts STATE_DIR get|set|check [PARM [VALUE]]...\n');
    return 2;
  }
  appendFileSync(join(stateDir, 'chassis-calls.log'), `${new Date().toISOString()} ${op} ${rest.join(' ')}\n`);
  const vm = VmController.open(stateDir);
  switch (op) {
    case 'get': {
      const lines: string[] = [];
      for (const parm of rest) {
        if (parm === 'power') lines.push(`power:${(await vm.powerState()) === 'on' ? 1 : 0}`);
        else if (parm === 'boot') lines.push(`boot:${vm.nextBootDevice() === 'pxe' ? 'pxe' : 'default'}`);
        else throw new Error(`unknown parameter "${parm}"`);
      }
      process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      return 0;
    }
    case 'set':
      for (let i = 0; i + 1 < rest.length; i += 2) await set(vm, rest[i] as string, rest[i + 1] as string);
      return 0;
    default:
      // "check" and anything newer: not supported, which ipmi_sim reports to the client
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chassis-control: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
