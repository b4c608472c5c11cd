// The deploy ramdisk (scripts/build-ramdisk + ramdisk/) booted in qemu under TCG against a
// server that speaks the nimbusd side of the deploy contract: deploy (staged gzip and
// two-pass zstd), a wrong checksum, inspect, quick wipe and a refused token. Then the
// agent's shell library alone on the host (busybox): result retries, instruction parsing.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { REPO_ROOT } from './support/nimbusctl.ts';
import { FakeDeployApi, type DeployRecord, type DeployScenario } from './ramdisk-support/deploy-api.ts';
import { AgentShell, busyboxMissing } from './ramdisk-support/agent-shell.ts';
import { agentLines, bootRamdisk, GUEST_API, killRunningQemus, qemuMissing, type BootOutcome } from './ramdisk-support/qemu-ramdisk.ts';
import { imageToolsMissing, LAYOUT, listFat, makeTestImage, readFatFile, readRange } from './ramdisk-support/test-image.ts';

const MIB = 1024 * 1024;
const RAMDISK = join(REPO_ROOT, '.cache', 'boot', 'ramdisk');
const BOOT_LIMIT_MS = 120_000;
const CASE_LIMIT_MS = BOOT_LIMIT_MS + 30_000;
const MAC = '52:54:00:12:34:56';
const DISK_BYTES = 64 * MIB;
/** scripts/build-ramdisk exits with this when a prerequisite is missing and it is not root. */
const BUILD_MISSING = 2;

const META_DATA = 'instance-id: i-ramdisk-test\nlocal-hostname: deploy-test\n';
const USER_DATA = '#cloud-config\nhostname: deploy-test\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtestkeyonlyfortheramdisktestxxxxxxxxxxxxxx test@nimbus\n';

function buildRamdisk(): { status: number | null; output: string } {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'build-ramdisk')], { encoding: 'utf8', timeout: 900_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const missing = qemuMissing() ?? imageToolsMissing();

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(missing !== undefined)(`deploy ramdisk in qemu (TCG)${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir: string;
  let api: FakeDeployApi;
  let image: Buffer;
  let build: { status: number | null; output: string };
  /** Set when the build lacks a Debian package it cannot install (not root): the boots skip. */
  let buildMissing: string | undefined;
  const figures: string[] = [];

  beforeAll(async () => {
    build = buildRamdisk();
    if (build.status === BUILD_MISSING) buildMissing = build.output.trim().split('\n').slice(-2).join(' ');
    dir = mkdtempSync(join(tmpdir(), 'nimbus-ramdisk-'));
    api = await FakeDeployApi.start();
    image = makeTestImage(dir);
  }, 900_000);

  function requireBuild(ctx: TestContext): void {
    if (buildMissing) ctx.skip(`scripts/build-ramdisk cannot run here: ${buildMissing}`);
    expect(build.status, build.output).toBe(0);
  }

  afterAll(async () => {
    killRunningQemus();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (figures.length) console.log(`ramdisk boots (TCG, -m 512):\n  ${figures.join('\n  ')}`);
  });

  interface Boot {
    outcome: BootOutcome;
    record: DeployRecord;
    disk: string;
    /** Seconds from starting qemu to the result post (undefined when none came). */
    toResult: number | undefined;
  }

  /** Boots the ramdisk once against `scenario`, with a fresh disk. */
  async function boot(name: string, scenario: DeployScenario, opts: { token?: string; mode: string; stage?: 'never'; diskFill?: number; diskOptions?: string }): Promise<Boot> {
    const disk = join(dir, `${name}.disk.raw`);
    writeFileSync(disk, Buffer.alloc(0));
    if (opts.diskFill === undefined) {
      truncateSync(disk, DISK_BYTES);
    } else {
      const fd = openSync(disk, 'w');
      const chunk = Buffer.alloc(MIB, opts.diskFill);
      for (let i = 0; i < DISK_BYTES / MIB; i++) writeSync(fd, chunk);
      closeSync(fd);
    }
    const record = api.use(scenario);
    const append = [
      `nimbus.api=${GUEST_API}`,
      `nimbus.token=${opts.token ?? scenario.token}`,
      `nimbus.mode=${opts.mode}`,
      ...(opts.stage ? [`nimbus.stage=${opts.stage}`] : []),
      'console=ttyS0',
      // nimbusd's iPXE script must pass quiet too: without it the kernel echoes its command line (and the token)
      'quiet',
    ].join(' ');
    const started = performance.now();
    const outcome = await bootRamdisk({
      kernel: join(RAMDISK, 'vmlinuz'),
      initrd: join(RAMDISK, 'initramfs.img'),
      append,
      disk,
      diskOptions: opts.diskOptions,
      mac: MAC,
      apiPort: api.port,
      consoleLog: join(dir, `${name}.console.log`),
      timeoutMs: BOOT_LIMIT_MS,
    });
    const toResult = record.resultAt === undefined ? undefined : (record.resultAt - started) / 1000;
    figures.push(`${name}: result after ${toResult?.toFixed(1) ?? '-'} s, qemu exited after ${outcome.seconds.toFixed(1)} s`);
    return { outcome, record, disk, toResult };
  }

  /** The agent's console lines, shown when an assertion fails. */
  const lines = (b: Boot): string => `agent said:\n${agentLines(b.outcome.console).join('\n')}\nqemu stderr: ${b.outcome.stderr}`;

  function deployScenario(over: { sha256?: string; compression: 'gzip' | 'zstd'; served: Buffer }): DeployScenario {
    const ext = over.compression === 'gzip' ? 'gz' : 'zst';
    return {
      token: randomBytes(16).toString('hex'),
      instructions: [
        ['mode', 'deploy'],
        ['image_url', `${GUEST_API}/images/test.img.${ext}`],
        ['image_sha256', over.sha256 ?? sha256(over.served)],
        ['image_compression', over.compression],
        ['image_size', String(over.served.length)],
        ['target_disk', 'auto'],
        ['seed_url', `${GUEST_API}/seed/i-ramdisk-test`],
        ['some_future_key', 'ignored@v2'],
      ],
      files: new Map([
        [`/images/test.img.${ext}`, over.served],
        ['/seed/i-ramdisk-test/meta-data', Buffer.from(META_DATA)],
        ['/seed/i-ramdisk-test/user-data', Buffer.from(USER_DATA)],
      ]),
      action: 'poweroff',
    };
  }

  function expectCleanExit(b: Boot, token: string): void {
    expect(b.outcome.timedOut, lines(b)).toBe(false);
    expect(b.outcome.exitCode, lines(b)).toBe(0);
    expect(b.outcome.console).not.toContain(token);
    expect(b.record.protocolErrors).toEqual([]);
  }

  /** The disk holds the image's bytes everywhere but in the CIDATA partition, which got the seed. */
  function expectImageOnDisk(b: Boot): void {
    expect(readRange(b.disk, 0, LAYOUT.cidataOffset).equals(image.subarray(0, LAYOUT.cidataOffset))).toBe(true);
    expect(readRange(b.disk, LAYOUT.dataOffset, LAYOUT.imageBytes - LAYOUT.dataOffset).equals(image.subarray(LAYOUT.dataOffset))).toBe(true);
    expect(readRange(b.disk, LAYOUT.dataOffset, 24).toString()).toBe('NIMBUS-RAMDISK-TEST-DATA');
    expect(readFatFile(b.disk, LAYOUT.cidataOffset, 'meta-data')).toBe(META_DATA);
    expect(readFatFile(b.disk, LAYOUT.cidataOffset, 'user-data')).toBe(USER_DATA);
    // network-config was not served (404): absent
    expect(listFat(b.disk, LAYOUT.cidataOffset).sort()).toEqual(['meta-data', 'user-data']);
  }

  function phasesEnded(record: DeployRecord): string[] {
    return [...new Set(record.progress.filter((p) => p.done === p.total && p.total > 0).map((p) => p.phase))];
  }

  it('builds vmlinuz and a gzip initramfs described by ramdisk.json', (ctx) => {
    requireBuild(ctx);
    const meta = JSON.parse(readFileSync(join(RAMDISK, 'ramdisk.json'), 'utf8'));
    expect(meta.kernelVersion).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    for (const part of ['vmlinuz', 'initramfs'] as const) {
      const file = readFileSync(join(RAMDISK, meta[part].file));
      expect(meta[part].sizeBytes).toBe(file.length);
      expect(meta[part].sha256).toBe(sha256(file));
    }
    const initramfs = readFileSync(join(RAMDISK, 'initramfs.img'));
    expect([...initramfs.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    figures.push(`initramfs.img ${(statSync(join(RAMDISK, 'initramfs.img')).size / MIB).toFixed(2)} MiB, vmlinuz ${(meta.vmlinuz.sizeBytes / MIB).toFixed(2)} MiB, kernel ${meta.kernelVersion}`);
  });

  it(
    'deploys a gzip image staged in RAM: the disk holds the image, CIDATA holds the seed, progress for every phase',
    async (ctx) => {
      requireBuild(ctx);
      const scenario = deployScenario({ compression: 'gzip', served: gzipSync(image) });
      const b = await boot('deploy-gzip', scenario, { mode: 'deploy' });
      expectCleanExit(b, scenario.token);
      expect(b.record.result, lines(b)).toEqual({ status: 'ok', ip: expect.stringMatching(/^10\.0\.2\.\d+$/), disk: '/dev/vda' });
      expectImageOnDisk(b);
      expect(phasesEnded(b.record)).toEqual(expect.arrayContaining(['boot', 'download', 'verify', 'write', 'seed']));
      expect(b.record.requests.every((r) => r.authorized)).toBe(true);
      expect(b.outcome.console).toContain('NIMBUS-AGENT:');
    },
    CASE_LIMIT_MS,
  );

  it(
    'refuses an image whose sha256 differs (image_checksum) and leaves the disk untouched',
    async (ctx) => {
      requireBuild(ctx);
      const served = gzipSync(image);
      const scenario = deployScenario({ compression: 'gzip', served, sha256: sha256(Buffer.from('another image')) });
      const b = await boot('bad-checksum', scenario, { mode: 'deploy' });
      expectCleanExit(b, scenario.token);
      expect(b.record.result, lines(b)).toMatchObject({ status: 'failed', class: 'image_checksum' });
      expect(b.record.result?.message).toMatch(/^[A-Za-z0-9._ :/-]+$/);
      expect(b.record.result?.message).toContain(sha256(served));
      const disk = readFileSync(b.disk);
      expect(disk.length).toBe(DISK_BYTES);
      expect(disk.equals(Buffer.alloc(DISK_BYTES))).toBe(true);
      expect(b.record.progress.some((p) => p.phase === 'write')).toBe(false);
    },
    CASE_LIMIT_MS,
  );

  it(
    'inspects: 1 CPU, about 512 MiB, the 64 MiB vda and the NIC with the MAC qemu was given',
    async (ctx) => {
      requireBuild(ctx);
      const scenario: DeployScenario = { token: randomBytes(16).toString('hex'), instructions: [['mode', 'inspect']], files: new Map(), action: 'poweroff' };
      const b = await boot('inspect', scenario, { mode: 'inspect' });
      expectCleanExit(b, scenario.token);
      expect(b.record.result, lines(b)).toMatchObject({ status: 'ok', ip: expect.stringMatching(/^10\.0\.2\.\d+$/) });
      const inv = b.record.inventory as any;
      expect(inv, lines(b)).toBeDefined();
      expect(inv.cpus.count).toBe(1);
      expect(typeof inv.cpus.model).toBe('string');
      expect(inv.memoryBytes).toBeGreaterThanOrEqual(480 * MIB);
      expect(inv.memoryBytes).toBeLessThanOrEqual(520 * MIB);
      expect(inv.disks).toEqual([{ name: 'vda', sizeBytes: DISK_BYTES, model: expect.any(String), rotational: expect.any(Boolean) }]);
      expect(inv.nics).toEqual([{ name: 'eth0', mac: MAC, speedMbps: null }]);
      expect(inv.system.vendor).toBe('QEMU');
      expect(phasesEnded(b.record)).toContain('inspect');
    },
    CASE_LIMIT_MS,
  );

  it(
    'stops cleanly when the server refuses its token (403): class callback, and the token never reaches the console',
    async (ctx) => {
      requireBuild(ctx);
      const scenario: DeployScenario = { token: randomBytes(16).toString('hex'), instructions: [['mode', 'deploy']], files: new Map(), action: 'poweroff' };
      const wrong = `wrong${randomBytes(12).toString('hex')}`;
      const b = await boot('wrong-token', scenario, { mode: 'deploy', token: wrong });
      expectCleanExit(b, wrong);
      expect(b.record.result).toBeUndefined();
      expect(b.record.requests.length).toBeGreaterThanOrEqual(2);
      expect(b.record.requests.every((r) => r.status === 403 && !r.authorized)).toBe(true);
      const paths = b.record.requests.map((r) => r.path);
      expect(paths).toContain('/deploy/v1/instructions');
      // the failure is still reported (and refused): the agent does not retry a 403
      expect(paths.filter((p) => p === '/deploy/v1/result')).toHaveLength(1);
      const said = agentLines(b.outcome.console).join('\n');
      expect(said).toMatch(/FAILED class=callback: instructions refused with HTTP 403/);
      expect(said).toContain('action: poweroff');
    },
    CASE_LIMIT_MS,
  );

  it(
    'deploys a zstd image in two streaming passes (hash, then write) when it is not staged',
    async (ctx) => {
      requireBuild(ctx);
      const scenario = deployScenario({ compression: 'zstd', served: zstdCompressSync(image) });
      const b = await boot('deploy-zstd-two-pass', scenario, { mode: 'deploy', stage: 'never' });
      expectCleanExit(b, scenario.token);
      expect(b.record.result, lines(b)).toEqual({ status: 'ok', ip: expect.stringMatching(/^10\.0\.2\.\d+$/), disk: '/dev/vda' });
      expect(agentLines(b.outcome.console).join('\n')).toContain('two passes');
      expectImageOnDisk(b);
      // the image was fetched twice
      expect(b.record.requests.filter((r) => r.path === '/images/test.img.zst')).toHaveLength(2);
      expect(phasesEnded(b.record)).toEqual(expect.arrayContaining(['download', 'verify', 'write', 'seed']));
    },
    CASE_LIMIT_MS,
  );

  it(
    'wipes quick: the first and last 4 MiB become zeros, the rest is left',
    async (ctx) => {
      requireBuild(ctx);
      const scenario: DeployScenario = {
        token: randomBytes(16).toString('hex'),
        instructions: [
          ['mode', 'wipe'],
          ['wipe', 'quick'],
          ['target_disk', '/dev/vda'],
        ],
        files: new Map(),
        action: 'poweroff',
      };
      // discard=ignore: the guest may discard, but the file keeps its bytes, so "the rest" is checkable
      const b = await boot('wipe-quick', scenario, { mode: 'wipe', diskFill: 0xa5, diskOptions: 'discard=ignore' });
      expectCleanExit(b, scenario.token);
      expect(b.record.result, lines(b)).toMatchObject({ status: 'ok', disk: '/dev/vda' });
      const disk = readFileSync(b.disk);
      expect(disk.subarray(0, 4 * MIB).equals(Buffer.alloc(4 * MIB))).toBe(true);
      expect(disk.subarray(DISK_BYTES - 4 * MIB).equals(Buffer.alloc(4 * MIB))).toBe(true);
      expect(disk.subarray(4 * MIB, DISK_BYTES - 4 * MIB).equals(Buffer.alloc(DISK_BYTES - 8 * MIB, 0xa5))).toBe(true);
      expect(phasesEnded(b.record)).toContain('wipe');
    },
    CASE_LIMIT_MS,
  );
});

const noBusybox = busyboxMissing();
describe.skipIf(noBusybox !== undefined)(`deploy agent shell library under busybox${noBusybox ? ` (skipped: ${noBusybox})` : ''}`, () => {
  let api: FakeDeployApi;
  let shell: AgentShell;
  const token = randomBytes(16).toString('hex');
  const scenario = (over: Partial<DeployScenario>): DeployScenario => ({ token, instructions: [], files: new Map(), action: 'reboot', ...over });
  /** The agent's settings from the kernel command line (common.sh resets them when sourced). */
  const cmdline = (): string => `NIMBUS_API=http://127.0.0.1:${api.port}; NIMBUS_TOKEN=${token}\n`;

  beforeAll(async () => {
    api = await FakeDeployApi.start();
    shell = new AgentShell();
  });
  afterAll(async () => {
    await api?.close();
    shell?.dispose();
  });

  it('retries the result post after a 503 and returns the action nimbusd answers', { timeout: 60_000 }, async () => {
    const record = api.use(scenario({ resultFailures: 1, action: 'reboot' }));
    const r = await shell.run(['common.sh', 'http.sh'], `${cmdline()}send_result "status=ok&ip=10.0.2.15&disk=/dev/vda" && echo "ACTION=$RESULT_ACTION"`);
    expect(r.stdout).toContain('ACTION=reboot');
    expect(r.stdout).toMatch(/result: post failed \(HTTP 503\); retrying in 2 s/);
    expect(record.requests.map((q) => q.status)).toEqual([503, 200]);
    expect(record.result).toEqual({ status: 'ok', ip: '10.0.2.15', disk: '/dev/vda' });
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('does not retry a result post refused with 403', async () => {
    const record = api.use(scenario({ token: 'another-token' }));
    const r = await shell.run(['common.sh', 'http.sh'], `${cmdline()}send_result "status=ok&ip=10.0.2.15" || echo GAVE-UP`);
    expect(r.stdout).toContain('GAVE-UP');
    expect(record.requests).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('reads the instructions: CRLF and unknown keys (whatever their value) are fine, a known key with a bad value is a callback failure', async () => {
    api.use(scenario({ instructions: 'mode=deploy\r\nfuture_key=any "thing" $(at all)\r\nimage_url=http://10.0.0.1/i.img\r\nimage_size=12\r\n# comment\r\n' }));
    const ok = await shell.run(['common.sh', 'http.sh', 'instructions.sh'], `${cmdline()}fetch_instructions && echo "MODE=$I_MODE URL=$I_IMAGE_URL SIZE=$I_IMAGE_SIZE TARGET=$I_TARGET_DISK"`);
    expect(ok.stdout).toContain('MODE=deploy URL=http://10.0.0.1/i.img SIZE=12 TARGET=auto');
    api.use(scenario({ instructions: 'mode=deploy\nimage_url=http://10.0.0.1/$(reboot)\n' }));
    const bad = await shell.run(['common.sh', 'http.sh', 'instructions.sh'], `${cmdline()}fetch_instructions || echo "FAILED=$FAIL_CLASS|$FAIL_MESSAGE"`);
    expect(bad.stdout).toContain('FAILED=callback|instructions: the value of image_url has characters outside the contract');
  });

  it('turns a failure message into the form value the contract allows', async () => {
    const r = await shell.run(['common.sh'], `form_message 'Hello, wörld! a&b=c/d:e_f-1.2'`);
    expect(r.stdout).toBe('Hello+w+rld+a+b+c/d:e_f-1.2');
  });
});
