// `nimbusd bmc …` run as the built binary, against ipmi_sim (cross-checked with ipmitool)
// and the Redfish emulator (cross-checked with a plain HTTP GET, as curl would do it).
import { execFile, spawn } from 'node:child_process';
import type { Socket as TcpSocket } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedfishEmulator } from './redfish-emulator/server.ts';
import { NIMBUSD_BIN, parseJsonOutput } from './support/cli.ts';
import { IpmiSim, ipmiPeersMissing, startIpmiSimWithSerial, type IpmiSimWithSerial } from './support/ipmi-sim.ts';
import { REPO_ROOT } from './support/nimbusctl.ts';

const BUILT = join(REPO_ROOT, 'packages', 'nimbusd', 'dist', 'commands', 'bmc', 'power.js');

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs the built binary without blocking this process: the Redfish emulator answers from
 * this same event loop. Only PATH and HOME are passed on, plus what the test adds.
 */
function nimbusd(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [NIMBUSD_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const json = parseJsonOutput(stdout);
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ status: err === null ? 0 : typeof code === 'number' ? code : -1, stdout, stderr, json });
      },
    );
  });
}

let dir: string;
/** A file holding `secret`, with the given permission bits. */
function secretFile(name: string, secret: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, `${secret}\n`);
  chmodSync(path, mode);
  return path;
}

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error(`nimbusd is not built (${BUILT} is missing): run ./scripts/setup first`);
  dir = mkdtempSync(join(tmpdir(), 'nimbusd-bmc-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const missing = ipmiPeersMissing();

describe.skipIf(missing !== undefined)(`nimbusd bmc against ipmi_sim${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim;
  let bmc: string[];

  beforeAll(async () => {
    sim = await new IpmiSim().start();
    bmc = ['--driver', 'ipmi', '--host', sim.host, '--port', String(sim.port), '--user', sim.username, '--cipher-suite', '3'];
    bmc.push('--password-file', secretFile('ipmi.pw', sim.password));
  });
  afterAll(() => sim?.stop());

  it('powers on and off, as ipmitool then reads it', async () => {
    const on = await nimbusd(['bmc', 'power', 'on', ...bmc]);
    expect(on).toMatchObject({ status: 0, stdout: 'on\n' });
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');

    const off = await nimbusd(['bmc', 'power', 'off', ...bmc]);
    expect(off).toMatchObject({ status: 0, stdout: 'off\n' });
    expect(await sim.ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
  });

  it('reports power status as JSON, after ipmitool powered the machine on', async () => {
    expect(await sim.ipmitool('chassis', 'power', 'on')).toContain('Up/On');
    const status = await nimbusd(['bmc', 'power', 'status', ...bmc, '--json']);
    expect(status.status).toBe(0);
    expect(status.json).toEqual({ driver: 'ipmi', host: sim.host, action: 'status', state: 'on' });
  });

  it('sets boot device PXE, which ipmitool chassis bootparam get 5 reads back', async () => {
    const pxe = await nimbusd(['bmc', 'bootdev', 'pxe', ...bmc]);
    expect(pxe).toMatchObject({ status: 0, stdout: 'pxe, next boot only, legacy\n' });
    expect(await sim.ipmitool('chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : Force PXE/);

    const disk = await nimbusd(['bmc', 'bootdev', 'disk', '--persistent', ...bmc, '--json']);
    expect(disk.json).toMatchObject({ override: { device: 'disk', persistent: true, mode: 'legacy' } });
    // ipmi_sim keeps only the device of the boot flags (even when ipmitool sets persistent), so only that is cross-checked.
    expect(await sim.ipmitool('chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : Force Boot from default Hard-Drive/);
  });

  it('fails with exit 1 and an auth error that does not contain the wrong password', async () => {
    const wrong = 'not-the-Pw-4711';
    const args = ['bmc', 'power', 'status', ...bmc.slice(0, -2), '--password-file', secretFile('wrong.pw', wrong)];
    const human = await nimbusd(args);
    expect(human.status).toBe(1);
    expect(human.stderr).toMatch(/^error: .+\n$/);
    const json = await nimbusd([...args, '--json']);
    expect(json.status).toBe(1);
    expect(json.json).toMatchObject({ status: 1, code: 'BMC_AUTH' });
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(out).not.toContain(wrong);
  });

  it('takes the password from NIMBUS_BMC_PASSWORD when there is no --password-file', async () => {
    const status = await nimbusd(['bmc', 'power', 'status', ...bmc.slice(0, -2), '--json'], { NIMBUS_BMC_PASSWORD: sim.password });
    expect(status.status).toBe(0);
    expect(status.json.state).toMatch(/^(on|off)$/);
  });
});

describe.skipIf(missing !== undefined)(`nimbusd bmc console against ipmi_sim's SOL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let sim: IpmiSim;
  let lab: IpmiSimWithSerial;
  let serial: TcpSocket;
  let bmc: string[];

  beforeAll(async () => {
    // The machine's serial port: a TCP socket ipmi_sim connects its SOL to.
    lab = await startIpmiSimWithSerial();
    ({ sim, serial } = lab);
    bmc = ['--driver', 'ipmi', '--host', sim.host, '--port', String(sim.port), '--user', sim.username, '--cipher-suite', '3', '--password-file', secretFile('sol.pw', sim.password)];
  });
  afterAll(() => lab?.stop());

  /** Runs `nimbusd <args>` (a console) with pipes until the machine's `banner` reaches its stdout, then `then(write)`, then SIGTERM. */
  async function consoleRun(args: string[], banner: string, then: (write: (text: string) => void) => Promise<void>): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [NIMBUSD_BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      // The machine prints until the console is up: what it printed before is not SOL's to deliver.
      const printing = setInterval(() => serial.write(`${banner}\r\n`), 200);
      const json = args.includes('--json');
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && !json && !stdout.includes(banner); ) await new Promise((r) => setTimeout(r, 50));
      if (json) await new Promise((r) => setTimeout(r, 1500));
      clearInterval(printing);
      await then((text) => child.stdin.write(text));
      child.kill('SIGTERM');
      return { status: await exited, stdout, stderr };
    } finally {
      clearTimeout(killer);
    }
  }

  it('shows what the machine prints and types what comes in, until it is interrupted', async () => {
    const typed = new Promise<string>((resolve) => {
      let got = '';
      const onData = (d: Buffer) => {
        got += d.toString();
        if (got.includes('\n')) {
          serial.off('data', onData);
          resolve(got);
        }
      };
      serial.on('data', onData);
    });
    const run = await consoleRun(['bmc', 'console', ...bmc], 'login:', async (write) => {
      write('root\n');
      expect(await typed).toBe('root\n');
    });
    expect(run.stdout).toContain('login:');
    expect(run.status, run.stderr).toBe(0);
    // SOL was let go on the way out: a console without --force opens again.
    const again = await consoleRun(['bmc', 'console', ...bmc, '--json'], 'second-banner', async () => {});
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ host: sim.host, via: 'IPMI SOL', outcome: 'interrupted', reason: null, outputTruncated: false, output: expect.stringContaining('second-banner') });
  });

  it('opens an enrolled machine\'s console from the BMC settings in the store, records it in the audit log, and is refused while another console is open', async () => {
    const stateDir = join(dir, 'console-state');
    mkdirSync(stateDir, { mode: 0o700 });
    const enroll = await nimbusd(['machine', 'enroll', '--state-dir', stateDir, '--name', 'r1-u07', '--bmc-driver', 'ipmi', '--bmc-host', sim.host, '--bmc-port', String(sim.port), '--bmc-user', sim.username, '--bmc-password-file', secretFile('enrolled.pw', sim.password), '--bmc-cipher-suite', '3', '--mac', '52:54:00:aa:bb:07']);
    expect(enroll.status, enroll.stderr).toBe(0);
    // ipmitool holds SOL: the machine's console is refused without --force, and says how to get it.
    const holder = spawn('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', sim.username, '-P', sim.password, 'sol', 'activate'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const holderExited = new Promise((resolve) => holder.once('exit', resolve));
    try {
      for (let i = 0; i < 50; i++) {
        const refused = await nimbusd(['machine', 'console', 'r1-u07', '--state-dir', stateDir, '--json']);
        if (refused.status === 1 && refused.json?.code === 'BMC_BUSY') break;
        await new Promise((r) => setTimeout(r, 100));
        if (i === 49) throw new Error(`never refused while ipmitool held SOL: ${refused.stdout}${refused.stderr}`);
      }
      const forced = await consoleRun(['machine', 'console', 'r1-u07', '--state-dir', stateDir, '--force', '--json'], 'third-banner', async () => {});
      expect(forced.status, forced.stderr).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ machine: 'r1-u07', via: 'IPMI SOL', outcome: 'interrupted', output: expect.stringContaining('third-banner') });
    } finally {
      holder.kill('SIGKILL');
      await holderExited;
    }
    const db = new DatabaseSync(join(stateDir, 'nimbusd.sqlite'), { readOnly: true });
    try {
      const rows = db.prepare("SELECT result, detail FROM audit WHERE action = 'machine.console' ORDER BY seq").all() as { result: string; detail: string }[];
      expect(rows.at(0)).toMatchObject({ result: 'busy' });
      expect(rows.at(-1)).toMatchObject({ result: 'ok' });
      expect(JSON.parse(rows.at(-1)!.detail)).toEqual({ forced: true });
    } finally {
      db.close();
    }
  });
});

describe('nimbusd bmc against the Redfish emulator (public-rackmount1)', () => {
  let emulator: RedfishEmulator;
  let bmc: string[];
  const env = { NIMBUS_BMC_PASSWORD: 'password' };
  /** The system as `curl -u admin:password` would fetch it. */
  const getSystem = async (): Promise<Record<string, any>> => {
    const res = await fetch(`${emulator.url}${emulator.systemPaths[0]}`, { headers: { Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>;
  };

  beforeAll(async () => {
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1' });
    const { port } = new URL(emulator.url);
    bmc = ['--driver', 'redfish', '--scheme', 'http', '--host', '127.0.0.1', '--port', port, '--user', 'admin'];
  });
  afterAll(() => emulator?.close());

  it('says plainly that Redfish gives no serial console', async () => {
    const r = await nimbusd(['bmc', 'console', ...bmc], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the redfish driver gives no serial console');
  });

  it('powers off and on, as a plain GET of the system then shows', async () => {
    const off = await nimbusd(['bmc', 'power', 'off', ...bmc], env);
    expect(off).toMatchObject({ status: 0, stdout: 'off\n' });
    expect((await getSystem())['PowerState']).toBe('Off');

    const on = await nimbusd(['bmc', 'power', 'on', ...bmc, '--json'], env);
    expect(on.json).toEqual({ driver: 'redfish', host: '127.0.0.1', action: 'on', state: 'on' });
    expect((await getSystem())['PowerState']).toBe('On');
  });

  it('sets boot device PXE in UEFI mode, as the system then shows', async () => {
    const pxe = await nimbusd(['bmc', 'bootdev', 'pxe', '--uefi', ...bmc], env);
    expect(pxe).toMatchObject({ status: 0, stdout: 'pxe, next boot only, uefi\n' });
    expect((await getSystem())['Boot']).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' });
  });

  it('lists the NICs with their MACs in inventory --json, and summarises them for people', async () => {
    const inv = await nimbusd(['bmc', 'inventory', ...bmc, '--json'], env);
    expect(inv.status).toBe(0);
    const macs = (inv.json.inventory.nics as { mac: string }[]).map((n) => n.mac);
    expect(macs.length).toBeGreaterThan(0);
    for (const mac of macs) expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(macs).toContain('12:44:6a:3b:04:11');

    const human = await nimbusd(['bmc', 'inventory', ...bmc], env);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^system\s+\S/m);
    expect(human.stdout).toMatch(/^\s+\S+\s+12:44:6a:3b:04:11/m);
  });

  it('prints sensors as a table', async () => {
    const human = await nimbusd(['bmc', 'sensors', ...bmc], env);
    const json = await nimbusd(['bmc', 'sensors', ...bmc, '--json'], env);
    expect(human.status).toBe(0);
    expect(json.status).toBe(0);
    const sensors = json.json.sensors as { name: string }[];
    if (sensors.length === 0) expect(human.stdout).toBe('no sensors reported\n');
    else {
      expect(human.stdout).toMatch(/^NAME\s+KIND\s+VALUE\s+UNIT\s+STATUS\n/);
      expect(human.stdout.trimEnd().split('\n')).toHaveLength(sensors.length + 1);
    }
  });

  it('fails with exit 1 and BMC_AUTH for a wrong password, without printing it', async () => {
    const wrong = 'Wr0ng-redfish-pw';
    const res = await nimbusd(['bmc', 'power', 'status', ...bmc, '--json'], { NIMBUS_BMC_PASSWORD: wrong });
    expect(res.status).toBe(1);
    expect(res.json).toMatchObject({ status: 1, code: 'BMC_AUTH' });
    expect(res.stdout + res.stderr).not.toContain(wrong);
  });
});

describe('nimbusd bmc settings, checked before any network call', () => {
  let listener: Socket;
  let received = 0;
  let port = 0;

  beforeAll(async () => {
    // A UDP socket where a BMC would be: anything the CLI sends would arrive here.
    listener = createSocket('udp4');
    listener.on('message', () => received++);
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', () => resolve()));
    port = listener.address().port;
  });
  afterAll(() => listener.close());

  const ipmi = () => ['--driver', 'ipmi', '--host', '127.0.0.1', '--port', String(port)];

  it('has no flag that takes the password on the command line', async () => {
    for (const flag of ['--password=s3cret-argv', '-p=s3cret-argv']) {
      const res = await nimbusd(['bmc', 'power', 'status', ...ipmi(), '--user', 'admin', flag, '--json']);
      expect(res.status).toBe(2);
      expect(res.json).toMatchObject({ status: 2, code: 'USAGE' });
      expect(res.json.message).toMatch(/Nonexistent flag/);
      expect(res.stdout + res.stderr).not.toContain('s3cret-argv');
    }
    expect(received).toBe(0);
  });

  it('refuses a password file its group or others can read, with exit 2, saying so', async () => {
    for (const mode of [0o644, 0o640]) {
      const file = secretFile(`open-${mode.toString(8)}.pw`, 'file-secret-99', mode);
      const res = await nimbusd(['bmc', 'power', 'on', ...ipmi(), '--user', 'admin', '--password-file', file]);
      expect(res.status).toBe(2);
      expect(res.stderr).toBe(`error: --password-file ${file} is readable by its group or by others (mode 0${mode.toString(8)}); make it private with \`chmod 600 ${file}\`\n`);
      expect(res.stderr).not.toContain('file-secret-99');
    }
    expect(received).toBe(0);
  });

  it('names a missing --host and exits 2', async () => {
    const res = await nimbusd(['bmc', 'power', 'status', '--driver', 'ipmi', '--user', 'admin'], { NIMBUS_BMC_PASSWORD: 'x' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^error: .*Missing required flag host/);
    expect(res.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('prints every problem the driver finds, and sends nothing', async () => {
    const args = ['bmc', 'power', 'on', ...ipmi(), '--user', 'a-user-name-longer-than-16-bytes', '--scheme', 'http', '--kg-file', secretFile('kg', 'not-hex')];
    const human = await nimbusd(args);
    expect(human.status).toBe(2);
    expect(human.stdout).toBe('');
    expect(human.stderr.split('\n').filter(Boolean)).toEqual([
      'error: the password (--password-file or NIMBUS_BMC_PASSWORD) is required',
      'error: --scheme is a Redfish setting; the IPMI driver does not use it',
      "error: --user is longer than IPMI's 16 bytes",
      'error: --kg-file must be hex, an even number of digits, at most 20 bytes',
    ]);
    const json = await nimbusd([...args, '--json'], { NIMBUS_BMC_PASSWORD: 'pw' });
    expect(json.status).toBe(2);
    expect(json.json).toMatchObject({ status: 2, code: 'BMC_CONFIG' });
    expect(json.json.problems).toHaveLength(3);
    expect(received).toBe(0);
  });
});

describe('nimbusd machine inspect against the Redfish emulator', () => {
  let emulator: RedfishEmulator;
  let config: string;
  let port: string;
  const enroll = (name: string, mac: string, passwordFile: string): Promise<CliResult> =>
    nimbusd(['machine', 'enroll', '--config', config, '--name', name, '--bmc-driver', 'redfish', '--bmc-scheme', 'http', '--bmc-host', '127.0.0.1',
      '--bmc-port', port, '--bmc-user', 'admin', '--bmc-password-file', passwordFile, '--mac', mac, '--json']);

  beforeAll(async () => {
    emulator = await RedfishEmulator.start({ mockup: 'public-rackmount1' });
    port = new URL(emulator.url).port;
    config = join(dir, 'inspect', 'nimbusd.toml');
    const init = await nimbusd(['init', '--config', config, '--state-dir', join(dir, 'inspect', 'state'), '--provider-id', 'inspect-test']);
    expect(init.status, init.stderr).toBe(0);
  });
  afterAll(() => emulator?.close());

  it('reads the inventory out of band, keeps it and makes the machine ready; a ready machine is not inspected again', async () => {
    expect((await enroll('r1', 'aa:bb:cc:00:10:01', secretFile('inspect-ok', 'password'))).status).toBe(0);
    const r = await nimbusd(['machine', 'inspect', '--config', config, 'r1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ name: 'r1', state: 'ready', inventory: { data: { system: { manufacturer: 'Contoso' }, nics: expect.any(Array) } } });
    const text = await nimbusd(['machine', 'inspect', '--config', config, 'r1']);
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('machine r1 is ready; only an enrolled machine or one in error is inspected');
  });

  it('leaves a machine whose BMC refuses the login in error, with the reason and the hint, and never the password', async () => {
    expect((await enroll('r2', 'aa:bb:cc:00:10:02', secretFile('inspect-bad', 'inspect-wrong-secret'))).status).toBe(0);
    const r = await nimbusd(['machine', 'inspect', '--config', config, 'r2', '--json']);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ code: 'INSPECT_FAILED' });
    expect(r.json.message).toContain('BMC refused the credentials');
    expect(r.json.message).toContain(join(dir, 'inspect-bad'));
    expect(r.stdout + r.stderr).not.toContain('inspect-wrong-secret');
    const shown = await nimbusd(['machine', 'show', '--config', config, 'r2', '--json']);
    expect(shown.json).toMatchObject({ state: 'error', lastError: { class: 'bmc' } });
  });
});
