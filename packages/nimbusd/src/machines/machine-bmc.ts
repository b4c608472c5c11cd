/**
 * A BMC client for an enrolled machine, from what the store keeps of it: the driver, the
 * address (`host`, `host:port` or `[v6]:port`), the user, the non-secret options, and
 * the password read from its credentials file (which must be private) at the moment of
 * connecting, so a rotated password is picked up without a restart.
 */
import type { BmcClient, BmcConfig } from '../bmc/driver.ts';
import { bmcDriver } from '../bmc/drivers/index.ts';
import { BmcConfigError } from '../bmc/errors.ts';
import { readSecretFile } from '../cli/secret-file.ts';
import type { Machine } from '../state/records.ts';

/** Opens a client for one machine's BMC; the caller closes it. */
export type ConnectBmc = (machine: Machine) => BmcClient;

/**
 * The connector every daemon part uses. `fallbackUsername` is for machines enrolled before
 * the store kept the user (their username is empty).
 */
export function machineBmcConnector(fallbackUsername?: string): ConnectBmc {
  return (machine) => {
    const username = machine.bmc.username || fallbackUsername;
    if (!username) {
      throw new BmcConfigError(`machine ${machine.name}: no BMC user is recorded; re-enroll it with --bmc-user`);
    }
    const { host, port } = splitAddress(machine.bmc.address);
    const options = machine.bmc.options;
    const config: BmcConfig = {
      driver: machine.bmc.driver,
      host,
      username,
      password: readSecretFile(machine.bmc.credentialsFile, 'the BMC password file'),
      ...(port === undefined ? {} : { port }),
      ...(options.scheme === undefined ? {} : { scheme: options.scheme }),
      ...(options.tlsFingerprint === undefined ? {} : { tlsFingerprint: options.tlsFingerprint }),
      ...(options.system === undefined ? {} : { system: options.system }),
      ...(options.cipherSuite === undefined ? {} : { cipherSuite: options.cipherSuite }),
      ...(options.kgFile === undefined ? {} : { kg: readSecretFile(options.kgFile, 'the BMC K_g file').trim() }),
    };
    const driver = bmcDriver(machine.bmc.driver);
    const problems = driver.validate(config);
    if (problems.length > 0) {
      throw new BmcConfigError(`machine ${machine.name}: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}`);
    }
    return driver.create(config);
  };
}

/** Runs `use` with a client for the machine's BMC and closes the session whatever happens. */
export async function withMachineBmc<T>(connect: ConnectBmc, machine: Machine, use: (client: BmcClient) => Promise<T>): Promise<T> {
  const client = connect(machine);
  try {
    return await use(client);
  } finally {
    // The BMC expires an abandoned session itself; failing to log out is not the caller's failure.
    await client.close().catch(() => undefined);
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address (several colons) is a host. */
export function splitAddress(address: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return bracketed[2] === undefined ? { host: bracketed[1]! } : { host: bracketed[1]!, port: Number(bracketed[2]) };
  const hostPort = /^([^:]+):(\d+)$/.exec(address);
  if (hostPort) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return { host: address };
}
