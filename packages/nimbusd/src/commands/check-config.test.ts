import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import CheckConfig, { type CheckConfigResult } from './check-config.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../../examples/nimbusd.toml', import.meta.url));

let dir: string;
let printed: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbusd-check-'));
  printed = '';
  // What the command prints for people; the --json payload is the returned result.
  vi.spyOn(CheckConfig.prototype, 'log').mockImplementation((line?: string) => {
    printed += `${line ?? ''}\n`;
  });
  vi.spyOn(CheckConfig.prototype, 'logToStderr').mockImplementation(() => {});
  vi.spyOn(CheckConfig.prototype, 'logJson').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function checkConfig(...argv: string[]): Promise<{ result: CheckConfigResult; exitCode: number }> {
  const result = (await CheckConfig.run(argv, ROOT)) as CheckConfigResult;
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { result, exitCode };
}

describe('nimbusd check-config', () => {
  it('passes the example config with status 0 and a one-line summary', async () => {
    const { result, exitCode } = await checkConfig('--config', EXAMPLE);
    expect(exitCode).toBe(0);
    expect(result).toEqual({ file: EXAMPLE, ok: true, problems: [], fileProblems: [] });
    expect(printed).toBe(`${EXAMPLE}: ok (provider acme-fra1, state /var/lib/nimbus, tenants allowlist)\n`);
  });

  it('prints every problem as path:line:col and exits 1; --json carries them', async () => {
    const path = join(dir, 'nimbusd.toml');
    writeFileSync(path, '[provider]\nid = "acme"\n[api]\nlisten = "nowhere"\n[bots]\n');
    const { result, exitCode } = await checkConfig('--config', path);
    expect(exitCode).toBe(1);
    expect(printed.trim().split('\n')).toEqual([
      `${path}:4:10: api.listen: "nowhere" is not valid here; expected host:port, e.g. 0.0.0.0:2222 or [::]:2222`,
      `${path}:5:2: unknown key "bots" in the top-level table (did you mean "boot"?)`,
    ]);
    expect(result.ok).toBe(false);
    const json = await checkConfig('--config', path, '--json');
    expect(json.exitCode).toBe(1);
    expect(json.result).toMatchObject({ ok: false, problems: [{ line: 4, col: 10 }, { line: 5, col: 2, code: 'unknown-key' }] });
  });

  it('with --files, refuses a world-readable host key and names it', async () => {
    const key = join(dir, 'host_key');
    writeFileSync(key, 'irrelevant\n', { mode: 0o644 });
    const path = join(dir, 'nimbusd.toml');
    writeFileSync(path, `[provider]\nid = "acme"\n[api]\nhost_key = "${key}"\n`);
    expect((await checkConfig('--config', path)).exitCode).toBe(0);
    const { result, exitCode } = await checkConfig('--config', path, '--files');
    expect(exitCode).toBe(1);
    expect(result.fileProblems).toEqual([
      `api.host_key: host key ${key} is readable by its group or by others (mode 0644); make it private with \`chmod 600 ${key}\``,
    ]);
  });

  it('with --files and the boot service on, names a missing ramdisk and image and how to get them', async () => {
    const key = join(dir, 'host_key_boot');
    writeFileSync(key, 'irrelevant\n', { mode: 0o644 });
    const path = join(dir, 'nimbusd.toml');
    const ipxe = join(dir, 'ipxe');
    mkdirSync(ipxe, { recursive: true });
    for (const f of ['undionly.kpxe', 'ipxe.efi']) writeFileSync(join(ipxe, f), 'x');
    writeFileSync(
      path,
      `[provider]\nid = "acme"\n[api]\nhost_key = "${key}"\n[boot]\nenabled = true\naddress = "10.0.0.1"\nipxe_dir = "${ipxe}"\nramdisk_dir = "${join(dir, 'no-ramdisk')}"\n[[images]]\nname = "tiny"\nfile = "${join(dir, 'tiny.raw')}"\nsha256 = "${'0'.repeat(64)}"\n`,
    );
    const { result } = await checkConfig('--config', path, '--files');
    expect(result.fileProblems.slice(1)).toEqual([
      `boot.ramdisk_dir: ${join(dir, 'no-ramdisk', 'vmlinuz')} cannot be read: ENOENT (build it with scripts/build-ramdisk DIR)`,
      `boot.ramdisk_dir: ${join(dir, 'no-ramdisk', 'initramfs.img')} cannot be read: ENOENT (build it with scripts/build-ramdisk DIR)`,
      `images[0] (tiny): ${join(dir, 'tiny.raw')} cannot be read: ENOENT (fix the path or build the image with scripts/build-image)`,
    ]);
  });
});
