/**
 * The serial consoles nimbusd has open, one per machine: opening one connects to the
 * machine's BMC and activates its console; closing it lets go of both. A second open of
 * the same machine is refused unless forced, when it takes the console over. A console is
 * closed when the instance it was opened for is no longer the machine's.
 */
import type { SerialConsole } from '../bmc/console.ts';
import type { BmcClient } from '../bmc/driver.ts';
import { BmcUnsupportedError } from '../bmc/errors.ts';
import { ConflictError } from '../state/index.ts';
import type { Instance, Machine } from '../state/records.ts';
import type { ConnectBmc } from './machine-bmc.ts';

interface OpenConsole {
  instanceId: string;
  console: SerialConsole;
  since: Date;
  closed: Promise<void>;
}

export interface ConsoleOpenRequest {
  machine: Machine;
  instance: Instance;
  force: boolean;
  signal?: AbortSignal;
}

export class ConsoleBroker {
  readonly #connect: ConnectBmc;
  readonly #clock: () => Date;
  readonly #open = new Map<string, OpenConsole>();

  constructor(connect: ConnectBmc, clock: () => Date = () => new Date()) {
    this.#connect = connect;
    this.#clock = clock;
  }

  /** How many consoles are open now. */
  get size(): number {
    return this.#open.size;
  }

  async open({ machine, instance, force, signal }: ConsoleOpenRequest): Promise<SerialConsole> {
    const held = this.#open.get(machine.id);
    if (held) {
      if (!force) {
        throw new ConflictError('console-busy', `the console of instance ${instance.id} is open in another session (since ${held.since.toISOString()}); force it to take it over`);
      }
      held.console.close('another session took the console over');
      await held.closed;
    }
    const client = this.#connect(machine);
    let console: SerialConsole;
    try {
      if (!client.openConsole) throw new BmcUnsupportedError(`the BMC of machine ${machine.name} (${machine.bmc.driver}) gives no serial console`);
      console = await client.openConsole({ force, ...(signal ? { signal } : {}) });
    } catch (err) {
      await letGo(client);
      throw err;
    }
    const closed = new Promise<void>((resolve) => {
      console.once('close', () => {
        if (this.#open.get(machine.id)?.console === console) this.#open.delete(machine.id);
        void letGo(client).then(resolve);
      });
    });
    this.#open.set(machine.id, { instanceId: instance.id, console, since: this.#clock(), closed });
    return console;
  }

  /** Closes each console whose instance is being released or is gone from its machine. */
  sweep(liveInstanceOf: (machineId: string) => Instance | undefined): void {
    for (const [machineId, held] of this.#open) {
      const live = liveInstanceOf(machineId);
      if (live?.id !== held.instanceId || live.state === 'releasing') held.console.close(`instance ${held.instanceId} was released`);
    }
  }

  /** Closes every console and waits until each has let go of its BMC. */
  async closeAll(reason: string): Promise<void> {
    const all = [...this.#open.values()];
    for (const held of all) held.console.close(reason);
    await Promise.all(all.map((h) => h.closed));
  }
}

async function letGo(client: BmcClient): Promise<void> {
  // The BMC expires an abandoned session itself; failing to log out changes nothing here.
  await client.close().catch(() => undefined);
}
