import type { BmcClient } from '../bmc/driver.ts';
import { BaseCommand } from './base-command.ts';
import type { BmcTarget } from './bmc-actions.ts';
import { bmcConfigFrom, withBmc } from './bmc-connection.ts';
import { settingsFromFlags } from './bmc-flags.ts';

/** A `nimbusd bmc` command: checks the connection settings, then works on one connected BMC. */
export abstract class BmcCommand<T> extends BaseCommand<T> {
  /** Every settings problem is thrown (and printed) here, before anything is sent. */
  protected useBmc<R>(flags: Parameters<typeof settingsFromFlags>[0], use: (client: BmcClient, target: BmcTarget) => Promise<R>): Promise<R> {
    const config = bmcConfigFrom(settingsFromFlags(flags), process.env);
    const target: BmcTarget = { driver: config.driver, host: config.host };
    return withBmc(config, (client) => use(client, target));
  }
}
