import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import { resolveConfigPath } from '../config/config-path.ts';
import { DEFAULT_STATE_DIR } from '../config/defaults.ts';
import { initSite, type InitResult } from '../config/init-site.ts';

export default class Init extends BaseCommand<InitResult> {
  static override summary = 'Write a config, create the state directory and the SSH host key.';
  static override description =
    "Prints the host key's SHA256 fingerprint: put it in the registry file as endpoint.host_key, so clients pin it. An existing host key is kept (clients already pin it), and an existing config is only replaced with --force.";
  static override examples = [
    '<%= config.bin %> init --provider-id acme-fra1',
    '<%= config.bin %> init --config ./nimbusd.toml --state-dir ./state --json',
  ];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'Config file to write. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
    'state-dir': Flags.string({ description: `State directory (created with mode 0700). Defaults to ${DEFAULT_STATE_DIR}.` }),
    'provider-id': Flags.string({ description: "The provider's id in the registry. Defaults to this host's name." }),
    force: Flags.boolean({ description: 'Replace an existing config file. The host key is kept either way.' }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    const result = initSite({
      configPath: resolveConfigPath(flags.config),
      ...(flags['state-dir'] === undefined ? {} : { stateDir: flags['state-dir'] }),
      ...(flags['provider-id'] === undefined ? {} : { providerId: flags['provider-id'] }),
      force: flags.force,
    });
    this.logToStderr(`wrote ${result.configPath}`);
    this.logToStderr(`${result.hostKeyCreated ? 'created' : 'kept'} host key ${result.hostKeyPath}`);
    // The fingerprint alone on stdout, so a script can capture it.
    this.log(result.hostKeyFingerprint);
    return result;
  }
}
