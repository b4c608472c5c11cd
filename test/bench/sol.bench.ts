/**
 * Serial over LAN: our client's SOL against `ipmitool … sol activate`, one after the other
 * against the same ipmi_sim, whose serial port is a TCP socket held here that echoes every
 * byte back (as a getty echoes keystrokes) or prints a block of output when asked.
 * Three figures: open → first echo (a new session and activation each time), keystroke
 * echo round trips on an open console, and how fast a block of machine output arrives.
 * ipmitool runs on a pseudo-terminal, as a person runs it (from a pipe it takes about a
 * second longer to open).
 * Bounded: 10 opens or 20 s, 300 keystrokes or 15 s, and one 64 KiB block (30 s) per client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { IpmiClient, IpmiTransport } from '../../packages/nimbusd/src/bmc/drivers/ipmi/index.ts';
import { ipmiPeersMissing, startIpmiSimWithSerial, type IpmiSim } from '../support/ipmi-sim.ts';
import { markdownTable, ms, percentile, type BenchSection } from './report.ts';

const OPENS = 10;
const OPEN_BUDGET_MS = 20_000;
const KEYSTROKES = 300;
const KEYSTROKE_BUDGET_MS = 15_000;
const BLOCK_BYTES = 64 * 1024;
const BLOCK_TIMEOUT_MS = 30_000;
const BLOCK_MARK = 'Z';

/** The machine's side of the serial port: echoes, or prints a block of output on request. */
class SerialPeer {
  readonly socket: Socket;
  echo = true;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      if (this.echo) socket.write(d);
    });
  }
  printBlock(): void {
    this.socket.write(Buffer.concat([Buffer.alloc(BLOCK_BYTES - 1, 0x2e), Buffer.from(BLOCK_MARK)]));
  }
}

/** A console as the bench drives it: bytes in, a way to wait for bytes out, a way to close. */
interface BenchConsole {
  write(text: string): void;
  /** Resolves when the output seen since the last call contains `text`. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function watchOutput(source: NodeJS.EventEmitter): (text: string, timeoutMs: number) => Promise<void> {
  let seen = '';
  let waiter: { text: string; resolve: () => void } | undefined;
  source.on('data', (d: Buffer) => {
    seen += d.toString('latin1');
    if (waiter && seen.includes(waiter.text)) {
      const w = waiter;
      waiter = undefined;
      seen = '';
      w.resolve();
    }
    if (seen.length > 4 * BLOCK_BYTES) seen = seen.slice(-BLOCK_BYTES);
  });
  return (text, timeoutMs) => {
    if (seen.includes(text)) {
      seen = '';
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} on the console within ${timeoutMs} ms`)), timeoutMs);
      waiter = { text, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  };
}

async function ours(sim: IpmiSim, transport: IpmiTransport): Promise<BenchConsole> {
  const client = new IpmiClient({ transport, host: sim.host, port: sim.port, username: sim.username, password: sim.password, cipherSuite: 3, keepAliveMs: 0 });
  const console: Duplex = await client.openConsole();
  const waitFor = watchOutput(console);
  return {
    write: (text) => void console.write(text),
    waitFor,
    close: async () => {
      const closed = new Promise((r) => console.once('close', r));
      console.destroy();
      await closed;
      await client.close();
    },
  };
}

/** ipmitool as a person runs it: on a terminal (a pseudo-terminal from util-linux `script`). */
async function ipmitool(sim: IpmiSim): Promise<BenchConsole> {
  const argv = ['ipmitool', '-I', 'lanplus', '-C', '3', '-H', sim.host, '-p', String(sim.port), '-U', sim.username, '-P', sim.password, 'sol', 'activate'];
  const child: ChildProcess = spawn('script', ['--quiet', '--flush', '--return', '--command', `exec ${argv.join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const waitFor = watchOutput(child.stdout!);
  const exited = new Promise((r) => child.once('exit', r));
  await waitFor('SOL Session operational', 10_000);
  return {
    write: (text) => void child.stdin!.write(text),
    waitFor,
    close: async () => {
      child.stdin!.write('\r~.');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Figures {
  opens: number[];
  echoes: number[];
  blockMs: number;
}

async function measure(open: () => Promise<BenchConsole>, serial: SerialPeer): Promise<Figures> {
  const opens: number[] = [];
  const started = performance.now();
  while (opens.length < OPENS && performance.now() - started < OPEN_BUDGET_MS) {
    const t = performance.now();
    const c = await open();
    c.write('o');
    await c.waitFor('o', 5000);
    opens.push(performance.now() - t);
    await c.close();
  }
  const c = await open();
  try {
    const echoes: number[] = [];
    const echoStart = performance.now();
    while (echoes.length < KEYSTROKES && performance.now() - echoStart < KEYSTROKE_BUDGET_MS) {
      const key = String.fromCharCode(0x61 + (echoes.length % 26));
      const t = performance.now();
      c.write(key);
      await c.waitFor(key, 5000);
      echoes.push(performance.now() - t);
    }
    serial.echo = false;
    const t = performance.now();
    serial.printBlock();
    await c.waitFor(BLOCK_MARK, BLOCK_TIMEOUT_MS);
    const blockMs = performance.now() - t;
    serial.echo = true;
    return { opens: opens.sort((a, b) => a - b), echoes: echoes.sort((a, b) => a - b), blockMs };
  } finally {
    await c.close();
  }
}

export async function run(): Promise<BenchSection> {
  const title = 'IPMI Serial over LAN: our client against ipmitool';
  const missing = ipmiPeersMissing();
  if (missing !== undefined) return { title, markdown: `Not measured: ${missing}.` };
  // A simulator each: ipmi_sim remembers the last SOL sequence number of the previous session
  // and drops a first packet that repeats it, so one client's last packet must not meet the
  // other's first (ours guards against it; ipmitool does not, and would lose a keystroke).
  const labs = [await startIpmiSimWithSerial({ chassisScript: false }), await startIpmiSimWithSerial({ chassisScript: false })] as const;
  const transport = new IpmiTransport();
  try {
    const mine = await measure(() => ours(labs[0].sim, transport), new SerialPeer(labs[0].serial));
    const theirs = await measure(() => ipmitool(labs[1].sim), new SerialPeer(labs[1].serial));
    const rate = (f: Figures) => `${((BLOCK_BYTES / 1024) / (f.blockMs / 1000)).toFixed(0)} KiB/s`;
    const row = (what: string, f: Figures): string[] => [
      what,
      ms(percentile(f.opens, 50)),
      ms(f.opens[0]!),
      ms(f.opens.at(-1)!),
      String(f.echoes.length),
      ms(percentile(f.echoes, 50), 2),
      ms(percentile(f.echoes, 99), 2),
      `${ms(f.blockMs, 0)} (${rate(f)})`,
    ];
    return {
      title,
      markdown: [
        `Against OpenIPMI ipmi_sim on 127.0.0.1 (cipher suite 3, SOL encrypted and authenticated), whose serial port is a TCP socket that echoes keystrokes. ` +
          `Open: a new session and SOL activation until the first keystroke comes back (median of ${OPENS}; ipmitool runs on a pseudo-terminal from util-linux \`script\`, as a person runs it, and includes both processes' start). ` +
          `Echo: one keystroke at a time on an open console. Block: ${BLOCK_BYTES / 1024} KiB printed by the machine at once, until its last byte arrives.`,
        '',
        markdownTable(['client', 'open → first echo p50', 'best', 'worst', 'keystrokes', 'echo p50', 'echo p99', `${BLOCK_BYTES / 1024} KiB block`], [row('nimbusd SOL client', mine), row('  reference: ipmitool sol activate', theirs)]),
        '',
        'Opened back to back, ipmitool\'s first keystroke sometimes comes back only after about a second: consistent with ipmi_sim dropping a first packet whose sequence number repeats the last one of the previous session (its test in sol-ipmi-sim.test.ts) and ipmitool resending after its 1 s timeout. Our client opens with an empty packet numbered 1 so that no keystroke is the one dropped.',
      ].join('\n'),
    };
  } finally {
    await transport.close();
    for (const lab of labs) await lab.stop();
  }
}

if (import.meta.main) console.log((await run()).markdown);
