import { Flags } from '@oclif/core';

/** How every `nimbusd machine` command finds the state directory. */
export const stateFlags = {
  config: Flags.string({ char: 'c', description: 'Config file whose [state] dir to use. Defaults to NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml.' }),
  'state-dir': Flags.string({ description: 'State directory; wins over the one in the config.' }),
};
