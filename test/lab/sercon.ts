import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERCON_PORT = Buffer.from([0xf8, 0x03]); // 0x3f8 (COM1), little-endian

/**
 * A file for `-fw_cfg name=etc/sercon-port,file=…`: it makes SeaBIOS mirror its console,
 * and the iPXE option ROMs' output, to the first serial port (NOTES §2). Shared by every VM.
 */
export function serconPortFile(): string {
  const path = join(tmpdir(), 'nimbus-lab-sercon-port.bin');
  try {
    if (readFileSync(path).equals(SERCON_PORT)) return path;
  } catch {
    // not there yet
  }
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, SERCON_PORT);
  renameSync(partial, path); // atomic: a parallel reader never sees half a file
  return path;
}

/** The serial text with ANSI escapes and carriage returns removed. */
export function plainSerialText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\x1b(?:\[[0-9;?]*[a-zA-Z]|[()][A-Z0-9]|[a-zA-Z])/g, '').replaceAll('\r', '');
}
