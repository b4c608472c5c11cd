/**
 * Starts OpenIPMI's ipmi_sim as a fake BMC on 127.0.0.1 for tests: its own lan.conf,
 * emulator file and a chassis_control script that keeps power and boot device in files
 * of a temp dir. `ipmitool()` runs the reference client against it.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './free-port.ts';
import { ipmiSimLanConf } from './ipmi-sim-lan-conf.ts';

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Why the IPMI peer tests cannot run here, or undefined when they can. */
export function ipmiPeersMissing(): string | undefined {
  const missing = ['ipmi_sim', 'ipmitool'].filter((b) => !onPath(b));
  return missing.length ? `${missing.join(' and ')} not installed (Debian packages openipmi, ipmitool)` : undefined;
}

// Tests of the IPMI driver import the port helper from here too.
export { freeUdpPort };

// Power and boot device live in files, so the test can also look at them directly.
const CHASSIS_SCRIPT = `#!/bin/sh
S=$1; shift; op=$1; shift
echo "$op $*" >> "$S/calls.log"
[ -f "$S/power" ] || echo 0 > "$S/power"
[ -f "$S/boot" ] || echo default > "$S/boot"
case $op in
  get) for p in "$@"; do case $p in
         power) echo "power:$(cat "$S/power")";;
         boot)  echo "boot:$(cat "$S/boot")";;
         *) echo "bad parm $p"; exit 1;; esac; done;;
  set) while [ $# -ge 2 ]; do case $1 in
         power) echo "$2" > "$S/power";;
         boot)  echo "$2" > "$S/boot";;
         reset|shutdown|identify) ;;
         *) echo "bad parm $1"; exit 1;; esac; shift 2; done;;
  check) exit 1;;
  *) echo "bad op $op"; exit 1;;
esac
exit 0
`;

/** An analog sensor the simulated BMC carries: its full sensor record and its raw reading. */
export interface SimSensor {
  number: number;
  name: string;
  /** IPMI sensor type: 0x01 temperature, 0x02 voltage, 0x04 fan. */
  type: number;
  /** IPMI entity: 0x03 processor, 0x07 system board, 0x1d fan device. */
  entity: number;
  /** IPMI base unit: 1 degrees C, 4 volts, 18 RPM. */
  unit: number;
  m: number;
  rExp: number;
  raw: number;
}

/** The sensors of the default simulator; readings are y = M·raw·10^rExp (B = 0). */
export const SIM_SENSORS: readonly SimSensor[] = [
  { number: 0x01, name: 'CPU Temp', type: 0x01, entity: 0x03, unit: 1, m: 1, rExp: 0, raw: 45 },
  { number: 0x02, name: 'Fan 1', type: 0x04, entity: 0x1d, unit: 18, m: 50, rExp: 0, raw: 96 },
  { number: 0x03, name: '12V', type: 0x02, entity: 0x07, unit: 4, m: 6, rExp: -2, raw: 201 },
];

/** A full sensor record (SDR type 01h, IPMI 2.0 table 43-1), threshold-based, unsigned, linear. */
export function fullSensorRecord(s: SimSensor, recordId: number): Buffer {
  const name = Buffer.from(s.name, 'latin1');
  const r = Buffer.alloc(48 + name.length);
  r.writeUInt16LE(recordId, 0);
  r[2] = 0x51; // SDR version 1.5
  r[3] = 0x01;
  r[4] = r.length - 5;
  r[5] = 0x20; // owned by the BMC, LUN 0
  r[7] = s.number;
  r[8] = s.entity;
  r[9] = 1;
  r[10] = 0x7f; // scanning and events enabled
  r[11] = 0x68; // thresholds readable, no hysteresis, auto re-arm
  r[12] = s.type;
  r[13] = 0x01; // threshold event/reading type
  r[21] = s.unit;
  r[24] = s.m & 0xff;
  r[25] = ((s.m >> 8) & 0x03) << 6;
  r[29] = (s.rExp & 0x0f) << 4;
  r[34] = 0xff; // sensor maximum
  r[47] = 0xc0 | name.length; // 8-bit ASCII
  name.copy(r, 48);
  return r;
}

/** What the default simulator's FRU 0 says of the machine. */
export const SIM_FRU = {
  boardManufacturer: 'Nimbus Boards',
  boardProduct: 'NB-1 Mainboard',
  boardSerial: 'BRD-0042',
  productManufacturer: 'Nimbus Systems',
  productName: 'Nimbus S1',
  productSerial: 'SN-12345',
} as const;

function fruField(text: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  return Buffer.concat([Uint8Array.of(0xc0 | b.length), b]); // type 11b: 8-bit ASCII + Latin-1
}

/** One FRU area: the fields, the end marker 0xC1, zero padding to 8 bytes and a zero-sum checksum. */
function fruArea(head: number[], fields: string[]): Buffer {
  const body = Buffer.concat([Uint8Array.from(head), ...fields.map(fruField), Uint8Array.of(0xc1)]);
  const area = Buffer.alloc(Math.ceil((body.length + 1) / 8) * 8);
  body.copy(area);
  area[1] = area.length / 8;
  area[area.length - 1] = (0x100 - (area.reduce((a, x) => a + x, 0) & 0xff)) & 0xff;
  return area;
}

/** FRU data (Platform Management FRU Information Storage Definition 1.0): header, board and product areas. */
export function fruData(f: typeof SIM_FRU = SIM_FRU): Buffer {
  // Board: version, length, language English, manufacturing date (minutes since 1996) 0 = unspecified.
  const board = fruArea([0x01, 0, 0x19, 0, 0, 0], [f.boardManufacturer, f.boardProduct, f.boardSerial, 'NB1-PART', '']);
  const product = fruArea([0x01, 0, 0x19], [f.productManufacturer, f.productName, 'S1-MODEL', 'v1', f.productSerial, '', '']);
  const header = Buffer.from([0x01, 0, 0, 1, 1 + board.length / 8, 0, 0, 0]);
  header[7] = (0x100 - (header.reduce((a, x) => a + x, 0) & 0xff)) & 0xff;
  return Buffer.concat([header, board, product]);
}

const hex = (b: Uint8Array) => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');
const FRU_SIZE = 256;

const EMULATOR = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
${SIM_SENSORS.map((s, i) => `main_sdr_add 0x20 ${hex(fullSensorRecord(s, i + 1))}
sensor_add 0x20 0 ${s.number} ${s.type} 0x01
sensor_set_value 0x20 0 ${s.number} ${s.raw} 0`).join('\n')}
mc_add_fru_data 0x20 0 ${FRU_SIZE} data ${hex(fruData())}
mc_enable 0x20
`;

// Get Channel Authentication Capabilities, IPMI 1.5 framing: answered once the simulator listens.
const PROBE = Buffer.from('0600ff07' + '00' + '00000000' + '00000000' + '09' + '2018c88104388e04b1', 'hex');

export class IpmiSim {
  /** Where it listens: 127.0.0.1 unless told (another 127/8 address leaves the port free on 127.0.0.1). */
  readonly host: string;
  readonly username = 'admin';
  readonly password = 'nimbus-test-pw';
  readonly dir: string;
  port = 0;
  #child: ChildProcess | undefined;
  #log = '';

  /**
   * Without the chassis script, ipmi_sim answers power status from its own memory
   * (always off) and refuses power and boot-device changes: a simulator for measuring
   * the protocol alone, without a shell script run per call.
   */
  readonly chassisScript: boolean;

  /** The TCP port ipmi_sim connects its SOL to, as to a serial port (the test listens there). */
  readonly solSerialPort: number | undefined;

  constructor(options: { chassisScript?: boolean; solSerialPort?: number; host?: string } = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.dir = mkdtempSync(join(tmpdir(), 'nimbus-ipmi-sim-'));
    this.chassisScript = options.chassisScript ?? true;
    this.solSerialPort = options.solSerialPort;
  }

  async start(): Promise<this> {
    this.port = await freeUdpPort();
    mkdirSync(join(this.dir, 'state'));
    mkdirSync(join(this.dir, 'persist'));
    writeFileSync(join(this.dir, 'chassis.sh'), CHASSIS_SCRIPT);
    chmodSync(join(this.dir, 'chassis.sh'), 0o755);
    writeFileSync(join(this.dir, 'bmc.emu'), EMULATOR);
    writeFileSync(
      join(this.dir, 'lan.conf'),
      ipmiSimLanConf({
        name: 'nimbustest',
        host: this.host,
        port: this.port,
        guid: 'a123456789abcdefa123456789abcdef',
        ...(this.chassisScript ? { chassisControl: `${this.dir}/chassis.sh ${this.dir}/state` } : {}),
        ...(this.solSerialPort === undefined ? {} : { solSerialPort: this.solSerialPort }),
        user: this.username,
        password: this.password,
      }),
    );
    const child = spawn('ipmi_sim', ['-c', 'lan.conf', '-f', 'bmc.emu', '-s', 'persist', '-n'], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout?.on('data', (d: Buffer) => { this.#log += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.#log += d.toString(); });
    try {
      await this.#waitReady();
    } catch (e) {
      await this.stop(); // leave no simulator behind when it never came up
      throw e;
    }
    return this;
  }

  async #waitReady(): Promise<void> {
    const s = createSocket('udp4');
    try {
      for (let i = 0; i < 50; i++) {
        if (this.#child?.exitCode !== null) throw new Error(`ipmi_sim exited: ${this.#log}`);
        const answered = await new Promise<boolean>((resolve) => {
          const onMessage = () => { clearTimeout(t); resolve(true); };
          const t = setTimeout(() => { s.off('message', onMessage); resolve(false); }, 100);
          s.once('message', onMessage);
          s.send(PROBE, this.port, this.host);
        });
        if (answered) return;
      }
      throw new Error(`ipmi_sim did not answer on ${this.host}:${this.port}: ${this.#log}`);
    } finally {
      s.close();
    }
  }

  /** Every call ipmi_sim made to the chassis script, e.g. `get power`, `set power 1`. */
  async calls(): Promise<string[]> {
    try {
      return readFileSync(join(this.dir, 'state', 'calls.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Runs `ipmitool -I lanplus -C 3` against the simulator; returns stdout and stderr together. */
  ipmitool(...args: string[]): Promise<string> {
    const argv = ['-I', 'lanplus', '-C', '3', '-H', this.host, '-p', String(this.port), '-U', this.username, '-P', this.password, ...args];
    return new Promise((resolve) => {
      execFile('ipmitool', argv, { timeout: 20_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An ipmi_sim whose Serial over LAN reaches a TCP socket held here: the machine's serial port. */
export interface IpmiSimWithSerial {
  sim: IpmiSim;
  /** Write to it what the machine prints; read from it what SOL clients type. */
  serial: Socket;
  stop(): Promise<void>;
}

export async function startIpmiSimWithSerial(options: { chassisScript?: boolean; host?: string } = {}): Promise<IpmiSimWithSerial> {
  const server = createServer();
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const sim = await new IpmiSim({ ...options, solSerialPort: port }).start();
  let timer: NodeJS.Timeout | undefined;
  const serial = await Promise.race([
    connected,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('ipmi_sim did not connect its SOL to the serial socket within 10 s')), 10_000); }),
  ]).catch(async (e: unknown) => {
    await sim.stop();
    server.close();
    throw e;
  });
  clearTimeout(timer);
  return {
    sim,
    serial,
    stop: async () => {
      await sim.stop();
      serial.destroy();
      server.close();
    },
  };
}
