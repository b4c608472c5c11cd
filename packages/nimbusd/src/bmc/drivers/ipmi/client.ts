/**
 * The BmcClient of one IPMI BMC: maps the capability interfaces onto IPMI commands over
 * one lazily opened RMCP+ session, with the safe power semantics of power.ts.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { BootOverride } from '../../boot-device.ts';
import type { ConsoleOpenOptions, SerialConsole } from '../../console.ts';
import type { BmcClient } from '../../driver.ts';
import { BmcProtocolError, BmcUnsupportedError } from '../../errors.ts';
import type { Feature } from '../../features.ts';
import type { Inventory } from '../../inventory.ts';
import type { PowerAction, PowerState } from '../../power.ts';
import type { SensorReading } from '../../sensors.ts';
import { CHASSIS_CONTROL, chassisControl, getBootFlags, getChassisStatus, getDeviceId, setBootFlags, type CommandChannel } from './commands.ts';
import type { CipherSuiteId } from './crypto.ts';
import { readFru, type FruInfo } from './fru.ts';
import { readSensors } from './sdr.ts';
import { IpmiSession, type SessionOptions } from './session.ts';
import { SolConsole, type SolTiming } from './sol.ts';
import { activateSol, checkSolEnabled, deactivateSol, SolOwnership } from './sol-commands.ts';
import { solCharsPerPacket } from './sol-wire.ts';
import type { IpmiTransport, RetryPolicy } from './transport.ts';
import { NETFN, PAYLOAD } from './wire.ts';

export const IPMI_FEATURES: readonly Feature[] = ['power', 'boot-device', 'inventory', 'sensors', 'console'];

/** A client's settings are its session's, less the randomness seam that only tests replace. */
export type IpmiClientOptions = Omit<SessionOptions, 'random'> & { solTiming?: Partial<SolTiming> };

/** A few IANA enterprise numbers of server makers, for a readable manufacturer. */
const MANUFACTURERS: Readonly<Record<number, string>> = {
  2: 'IBM', 11: 'HPE', 343: 'Intel', 674: 'Dell', 10876: 'Supermicro', 19046: 'Lenovo', 15370: 'GIGABYTE', 7244: 'Quanta', 42385: 'Cisco', 2011: 'Huawei', 47196: 'Inspur', 49622: 'ASRock Rack',
};

export class IpmiClient implements BmcClient, CommandChannel {
  readonly features = IPMI_FEATURES;
  readonly #o: IpmiClientOptions;
  #session: Promise<IpmiSession> | undefined;
  #closed = false;

  constructor(options: IpmiClientOptions) {
    this.#o = options;
  }

  /** The cipher suite of the open session, once one is open. */
  async cipherSuite(): Promise<CipherSuiteId | undefined> {
    return (await this.#session)?.cipherSuite;
  }

  async command(netFn: number, cmd: number, data: Uint8Array, what: string, signal?: AbortSignal): Promise<Buffer> {
    if (this.#closed) throw new BmcProtocolError(`${what}: the client is closed`, { target: what });
    return (await this.#sessionFor()).command(netFn, cmd, data, what, signal);
  }

  // The session is keyed by the address replies come from, so a host name is resolved once first.
  #sessionFor(): Promise<IpmiSession> {
    this.#session ??= (async () => {
      const address = isIP(this.#o.host) ? this.#o.host : (await lookup(this.#o.host, { family: 4 })).address;
      return new IpmiSession({ ...this.#o, host: address });
    })();
    this.#session.catch(() => { this.#session = undefined; });
    return this.#session;
  }

  async powerState(signal?: AbortSignal): Promise<PowerState> {
    return (await getChassisStatus(this, signal)).powerOn ? 'on' : 'off';
  }

  async setPower(action: PowerAction, signal?: AbortSignal): Promise<void> {
    const state = await this.powerState(signal);
    if (state === 'unknown') throw new BmcProtocolError(`power state is unknown; not sending '${action}'`, { target: 'Chassis Control' });
    const on = state === 'on';
    switch (action) {
      case 'on': if (!on) await chassisControl(this, CHASSIS_CONTROL.on, signal); return;
      case 'off': if (on) await chassisControl(this, CHASSIS_CONTROL.off, signal); return;
      case 'soft-off': if (on) await chassisControl(this, CHASSIS_CONTROL.softOff, signal); return;
      // Cycling or resetting a machine that is off means powering it on (power.ts).
      case 'cycle': await chassisControl(this, on ? CHASSIS_CONTROL.cycle : CHASSIS_CONTROL.on, signal); return;
      case 'reset': await chassisControl(this, on ? CHASSIS_CONTROL.reset : CHASSIS_CONTROL.on, signal); return;
      default: throw new BmcUnsupportedError(`unknown power action '${String(action)}'`);
    }
  }

  bootOverride(signal?: AbortSignal): Promise<BootOverride | null> {
    return getBootFlags(this, signal);
  }

  setBootOverride(override: BootOverride, signal?: AbortSignal): Promise<void> {
    return setBootFlags(this, override, signal);
  }

  sensors(signal?: AbortSignal): Promise<SensorReading[]> {
    return readSensors(this, signal);
  }

  /**
   * What IPMI tells of the machine: manufacturer, model and serial from FRU 0 (product area
   * first, then board area), the BMC's identity and the system GUID. Without FRU data the
   * manufacturer is the BMC's IANA enterprise number.
   */
  async inventory(signal?: AbortSignal): Promise<Inventory> {
    const id = await getDeviceId(this, signal);
    // A damaged FRU (bad checksum, bad area) must not stop inspection: the identity then
    // comes from Get Device ID alone, as for a BMC without FRU data.
    const fru = (id.supportsFru ? await readFru(this, 0, signal).catch(absentOnProtocolError) : undefined) ?? {};
    const system: Inventory['system'] = {
      manufacturer: fru.product?.manufacturer ?? fru.board?.manufacturer ?? MANUFACTURERS[id.manufacturerId] ?? `IANA ${id.manufacturerId}`,
      ...identityFromFru(fru),
      bmcFirmware: id.firmwareVersion,
    };
    const guid = await optional(this.command(NETFN.app, 0x37, new Uint8Array(0), 'Get System GUID', signal));
    if (guid && guid.length >= 16) system.uuid = formatGuid(guid.subarray(0, 16));
    return { system, cpus: [], memory: {}, disks: [], nics: [] };
  }

  /**
   * Activates SOL in this client's session and returns it as a stream. With `force`, a SOL
   * session another client holds is deactivated first (as `ipmitool sol deactivate` does).
   * Destroying the stream deactivates SOL; closing the client is still the caller's.
   */
  async openConsole(options: ConsoleOpenOptions = {}): Promise<SerialConsole> {
    const { signal } = options;
    const session = await this.#sessionFor();
    const where = `${this.#o.host}:${this.#o.port}`;
    await checkSolEnabled(this, where, signal);
    const ownership = new SolOwnership(this, () => session.bmcSessionId);
    const activation = await activateSol(this, ownership, options.force === true, where, signal);
    let unsubscribe: (() => void) | undefined;
    const link = {
      send: (payload: Buffer) => session.sendPayload(PAYLOAD.sol, payload, activation.port),
      stillActive: () => ownership.stillOurs(),
      release: async (deactivate: boolean) => {
        unsubscribe?.();
        if (deactivate) await deactivateSol(this, AbortSignal.timeout(2000)).catch(() => undefined);
      },
    };
    const console = new SolConsole(link, solCharsPerPacket(activation), this.#o.solTiming);
    unsubscribe = await session.subscribe(PAYLOAD.sol, activation.port, (payload) => console.receive(payload));
    return console;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const session = await this.#session?.catch(() => undefined);
    await session?.close();
  }
}

/** An optional command: a completion code (not supported, no such device) means "not there". */
async function optional<T>(call: Promise<T>): Promise<T | undefined> {
  return call.catch((e: unknown) => {
    if (e instanceof BmcProtocolError && e.completionCode !== undefined) return undefined;
    throw e;
  });
}

/** For FRU data: a completion code, and equally data that does not decode, mean "not there". */
function absentOnProtocolError(e: unknown): undefined {
  if (e instanceof BmcProtocolError) return undefined;
  throw e;
}

function identityFromFru(fru: FruInfo): Pick<Inventory['system'], 'model' | 'serial'> {
  const model = fru.product?.name ?? fru.board?.product;
  const serial = fru.product?.serial ?? fru.board?.serial;
  return { ...(model !== undefined && { model }), ...(serial !== undefined && { serial }) };
}

/** IPMI sends the GUID least significant byte first; print it in the usual UUID order. */
export function formatGuid(g: Buffer): string {
  const hex = Buffer.from(g).reverse().toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
