import { setTimeout as sleep } from 'node:timers/promises';
import type { BootOverride } from '../../boot-device.ts';
import type { BmcClient } from '../../driver.ts';
import { BmcProtocolError, BmcUnsupportedError } from '../../errors.ts';
import { FEATURES, type Feature } from '../../features.ts';

/** Redfish has no standard serial-console stream (vendors offer SSH or a web console of their own). */
export const REDFISH_FEATURES: readonly Feature[] = FEATURES.filter((f) => f !== 'console');
import type { Inventory } from '../../inventory.ts';
import type { PowerAction, PowerState } from '../../power.ts';
import type { SensorReading } from '../../sensors.ts';
import { bootOverrideOf, bootPatch } from './boot.ts';
import { linkOf, readInventory, readMembers } from './inventory.ts';
import { DEFAULT_RESET_TYPES, resetTypesFor, toPowerState } from './reset-type.ts';
import { readSensors } from './sensors.ts';
import { selectSystem } from './system-select.ts';
import { type Json, RedfishStatusError, RedfishTransport, type TransportOptions } from './transport.ts';

/** How often, and how many times, to look for `Off` between the two halves of ForceOff + On. */
export const POWER_SETTLE_POLL_MS = 500;
export const POWER_SETTLE_POLLS = 60;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface RedfishClientOptions extends TransportOptions {
  /** The ComputerSystem to drive, by `Id` or `@odata.id` path; default the first member of Systems. */
  system?: string;
}

/**
 * One Redfish service, driving one of its ComputerSystems (`system`, else the first).
 * Every path after the service root comes from links the service gives (`Systems`,
 * `Managers`, `@odata.id`s) or from the config's `system`.
 */
export class RedfishClient implements BmcClient {
  readonly features: readonly Feature[] = REDFISH_FEATURES;
  readonly #transport: RedfishTransport;
  readonly #origin: string;
  readonly #wantedSystem: string | undefined;
  #systemPath: string | undefined;

  constructor(options: RedfishClientOptions) {
    const { system, ...transport } = options;
    this.#transport = new RedfishTransport(transport);
    this.#origin = options.origin;
    this.#wantedSystem = system;
  }

  /** `basic` or `session` once connected; for tests and diagnostics. */
  get authKind(): string {
    return this.#transport.authKind;
  }

  async #system(signal?: AbortSignal): Promise<{ path: string; body: Json; etag?: string }> {
    if (this.#systemPath === undefined) {
      const root = await this.#transport.root(signal);
      const systems = linkOf(root, 'Systems');
      if (systems === undefined) throw new BmcUnsupportedError('the Redfish service root links no Systems collection');
      const selected = await selectSystem(this.#transport, this.#origin, systems, this.#wantedSystem, signal);
      this.#systemPath = selected.path;
      // Selecting by path already read the system: no second GET on this first call.
      if (selected.body !== undefined) return selected.etag !== undefined ? { path: selected.path, body: selected.body, etag: selected.etag } : { path: selected.path, body: selected.body };
    }
    const { body, etag } = await this.#transport.get(this.#systemPath, signal);
    return etag !== undefined ? { path: this.#systemPath, body, etag } : { path: this.#systemPath, body };
  }

  async #manager(system: Json, signal?: AbortSignal): Promise<Json | undefined> {
    const links = isObject(system['Links']) ? system['Links'] : {};
    const managedBy = Array.isArray(links['ManagedBy']) ? links['ManagedBy'] : [];
    const first = isObject(managedBy[0]) ? managedBy[0]['@odata.id'] : undefined;
    if (typeof first === 'string') return (await this.#transport.get(first, signal)).body;
    const root = await this.#transport.root(signal);
    const [manager] = await readMembers(this.#transport, linkOf(root, 'Managers'), signal);
    return manager;
  }

  async powerState(signal?: AbortSignal): Promise<PowerState> {
    return toPowerState((await this.#system(signal)).body['PowerState']);
  }

  async setPower(action: PowerAction, signal?: AbortSignal): Promise<void> {
    const { path, body } = await this.#system(signal);
    const actions = isObject(body['Actions']) ? body['Actions'] : {};
    const reset = isObject(actions['#ComputerSystem.Reset']) ? actions['#ComputerSystem.Reset'] : undefined;
    const target = reset?.['target'];
    if (typeof target !== 'string') throw new BmcUnsupportedError(`power ${action}: system ${path} has no #ComputerSystem.Reset action`);
    const listed = reset?.['ResetType@Redfish.AllowableValues'];
    const allowed = Array.isArray(listed) ? listed.filter((v): v is string => typeof v === 'string') : DEFAULT_RESET_TYPES;
    const steps = resetTypesFor(action, toPowerState(body['PowerState']), allowed);
    for (const [i, resetType] of steps.entries()) {
      if (i > 0) await this.#waitForOff(signal);
      await this.#transport.post(target, { ResetType: resetType }, signal);
    }
  }

  /** Between ForceOff and On: a BMC may take a moment to report the machine off. */
  async #waitForOff(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < POWER_SETTLE_POLLS; i++) {
      if ((await this.powerState(signal)) === 'off') return;
      await sleep(POWER_SETTLE_POLL_MS, undefined, signal ? { signal } : {});
    }
    throw new BmcProtocolError('power cycle: the machine did not report Off after ForceOff');
  }

  async bootOverride(signal?: AbortSignal): Promise<BootOverride | null> {
    const { body } = await this.#system(signal);
    return bootOverrideOf(isObject(body['Boot']) ? body['Boot'] : {});
  }

  async setBootOverride(override: BootOverride, signal?: AbortSignal): Promise<void> {
    let system = await this.#system(signal);
    const patch = { Boot: bootPatch(override, isObject(system.body['Boot']) ? system.body['Boot'] : {}) };
    try {
      await this.#transport.patch(system.path, patch, system.etag, signal);
    } catch (err) {
      if (!(err instanceof RedfishStatusError && err.status === 412)) throw err;
      // Someone changed the system since we read it: read it again and retry, once.
      system = await this.#system(signal);
      await this.#transport.patch(system.path, patch, system.etag, signal);
    }
  }

  async inventory(signal?: AbortSignal): Promise<Inventory> {
    const { body } = await this.#system(signal);
    return readInventory(this.#transport, body, await this.#manager(body, signal), signal);
  }

  async sensors(signal?: AbortSignal): Promise<SensorReading[]> {
    const { body } = await this.#system(signal);
    const links = isObject(body['Links']) ? body['Links'] : {};
    const chassis = Array.isArray(links['Chassis']) && isObject(links['Chassis'][0]) ? links['Chassis'][0]['@odata.id'] : undefined;
    if (typeof chassis !== 'string') throw new BmcUnsupportedError('sensors: the system links no Chassis');
    return readSensors(this.#transport, (await this.#transport.get(chassis, signal)).body, signal);
  }

  /** The first CD/DVD virtual media with an InsertMedia action, under the System or its Manager. */
  async #cdrom(signal?: AbortSignal): Promise<{ path: string; body: Json }> {
    const { body } = await this.#system(signal);
    const collections = [linkOf(body, 'VirtualMedia')];
    const manager = await this.#manager(body, signal);
    if (manager) collections.push(linkOf(manager, 'VirtualMedia'));
    for (const link of collections) {
      for (const media of await readMembers(this.#transport, link, signal)) {
        const types = Array.isArray(media['MediaTypes']) ? media['MediaTypes'] : [];
        const actions = isObject(media['Actions']) ? media['Actions'] : {};
        const path = media['@odata.id'];
        if ((types.includes('CD') || types.includes('DVD')) && '#VirtualMedia.InsertMedia' in actions && typeof path === 'string') return { path, body: media };
      }
    }
    throw new BmcUnsupportedError('virtual media: this BMC has no CD/DVD virtual media with an InsertMedia action');
  }

  #actionTarget(media: Json, action: string): string {
    const actions = isObject(media['Actions']) ? media['Actions'] : {};
    const entry = actions[`#VirtualMedia.${action}`];
    const target = isObject(entry) ? entry['target'] : undefined;
    if (typeof target !== 'string') throw new BmcUnsupportedError(`virtual media: ${String(media['@odata.id'])} has no ${action} action`);
    return target;
  }

  async insertMedia(url: string, signal?: AbortSignal): Promise<void> {
    const { body } = await this.#cdrom(signal);
    if (body['Inserted'] === true) await this.#transport.post(this.#actionTarget(body, 'EjectMedia'), {}, signal);
    await this.#transport.post(this.#actionTarget(body, 'InsertMedia'), { Image: url, Inserted: true, WriteProtected: true }, signal);
  }

  async ejectMedia(signal?: AbortSignal): Promise<void> {
    const { body } = await this.#cdrom(signal);
    if (body['Inserted'] !== true) return;
    await this.#transport.post(this.#actionTarget(body, 'EjectMedia'), {}, signal);
  }

  async close(): Promise<void> {
    await this.#transport.logout();
  }
}
