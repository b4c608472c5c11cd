/**
 * A 512-byte MBR for a lab VM's disk that prints a line through the BIOS (SeaBIOS mirrors
 * it to the serial port) and then reboots, powers off or halts: a "disk boot" that tests
 * can see and that acts like a guest's own `reboot -f` / `poweroff -f`, without an OS.
 * BIOS VMs only (OVMF does not run MBR boot code).
 */
import { openSync, closeSync, writeSync } from 'node:fs';

export type BootSectorAction = 'reboot' | 'poweroff' | 'halt';

const MESSAGE_OFFSET = 0x40;

// Real mode, loaded at 0x7c00. Prints the NUL-terminated message at MESSAGE_OFFSET with
// int 10h/0Eh, then does the action; every action ends in hlt; jmp $-1.
const PRINT = [
  0xfa, // cli
  0x31, 0xc0, // xor ax, ax
  0x8e, 0xd8, // mov ds, ax
  0x8e, 0xd0, // mov ss, ax
  0xbc, 0x00, 0x7c, // mov sp, 0x7c00
  0xfb, // sti
  0xbe, MESSAGE_OFFSET, 0x7c, // mov si, 0x7c00 + MESSAGE_OFFSET
  0xac, // print: lodsb
  0x84, 0xc0, // test al, al
  0x74, 0x09, // jz done
  0xb4, 0x0e, // mov ah, 0x0e
  0xbb, 0x07, 0x00, // mov bx, 0x0007
  0xcd, 0x10, // int 0x10
  0xeb, 0xf2, // jmp print
];
// SeaBIOS sends serial output in batches: give it time before the machine goes away.
const PAUSE = [0xb4, 0x86, 0xb9, 0x03, 0x00, 0xba, 0x40, 0x0d, 0xcd, 0x15]; // mov ah, 0x86; cx:dx = 200 000 µs; int 0x15
const HALT = [0xf4, 0xeb, 0xfd]; // hlt; jmp hlt
const ACTIONS: Record<BootSectorAction, number[]> = {
  // Pulse the reset line through the keyboard controller: qemu counts it as a guest reset.
  reboot: [0xb0, 0xfe, 0xe6, 0x64], // mov al, 0xfe; out 0x64, al
  // ACPI soft-off: SLP_EN with SLP_TYP 0 (qemu's _S5) in PM1a_CNT, at 0x604 where SeaBIOS puts the PM block.
  poweroff: [0xba, 0x04, 0x06, 0xb8, 0x00, 0x20, 0xef], // mov dx, 0x604; mov ax, 0x2000; out dx, ax
  halt: [],
};

/** The sector: code, `message` (ASCII, up to 400 characters; a CR LF is added) and the 55 AA signature. */
export function bootSector(message: string, action: BootSectorAction): Buffer {
  if (!/^[\x20-\x7e]{0,400}$/.test(message)) throw new RangeError('boot sector message: up to 400 printable ASCII characters');
  const sector = Buffer.alloc(512);
  Buffer.from([...PRINT, ...PAUSE, ...ACTIONS[action], ...HALT]).copy(sector, 0);
  sector.write(`${message}\r\n`, MESSAGE_OFFSET, 'latin1');
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Writes the sector to the start of a disk image (the rest of the image is left as it is). */
export function writeBootSector(diskPath: string, message: string, action: BootSectorAction): void {
  const fd = openSync(diskPath, 'r+');
  try {
    writeSync(fd, bootSector(message, action), 0, 512, 0);
  } finally {
    closeSync(fd);
  }
}
