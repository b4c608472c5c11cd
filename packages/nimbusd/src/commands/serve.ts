import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import { resolveConfigPath } from '../config/config-path.ts';
import { loadConfig } from '../config/load-config.ts';
import { Daemon } from '../daemon/daemon.ts';
import { createLogger } from '../logging/logger.ts';

/** The `--json` payload, written once the daemon has stopped cleanly. */
export interface ServeResult {
  file: string;
  stopped: 'signal';
}

/** Signals that ask nimbusd to stop: Ctrl-C, and what systemd sends on `systemctl stop`. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export default class Serve extends BaseCommand<ServeResult> {
  static override summary = 'Run the daemon: the SSH API and /metrics, until SIGINT or SIGTERM.';
  static override description =
    'Reads the config (--config, else NIMBUSD_CONFIG, else /etc/nimbus/nimbusd.toml), the host key and the authorized_keys files it names, opens the state store and listens on api.listen and, unless disabled, metrics.listen. Logs JSON lines to stdout. Exits 0 after SIGINT or SIGTERM once every listener is closed, and 1 with the reason when a listener cannot start or fails (the port is in use).';
  static override examples = ['<%= config.bin %> serve', '<%= config.bin %> serve --config ./nimbusd.toml'];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'Config file. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
    'gauge-refresh-ms': Flags.integer({
      description: 'How often the machines-by-state gauge is recounted from the store, in ms (API calls recount it at once).',
      min: 100,
      hidden: true,
    }),
  };

  async run(): Promise<ServeResult> {
    const { flags } = await this.parse(Serve);
    const file = resolveConfigPath(flags.config);
    const config = loadConfig(file);
    const logger = createLogger({ level: config.log.level });
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stop requested');
      controller.abort();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    try {
      const daemon = new Daemon({ config, logger, version: this.config.version, ...(flags['gauge-refresh-ms'] === undefined ? {} : { gaugeRefreshMs: flags['gauge-refresh-ms'] }) });
      await daemon.serve(controller.signal);
    } finally {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      // The destination is asynchronous: write out the last lines before the process exits.
      logger.flush();
    }
    return { file, stopped: 'signal' };
  }
}
