import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { BMC_DRIVER_NAMES } from '../../bmc/drivers/index.ts';
import { stateFlags } from '../../machines/flags.ts';
import { enrollMachine, type MachineView } from '../../machines/machines.ts';
import { resolveStateDir } from '../../machines/state-location.ts';

export default class MachineEnroll extends BaseCommand<MachineView> {
  static override summary = 'Enroll a machine: its BMC and the MACs it network-boots from.';
  static override description =
    "The password file must exist and be readable by its owner only (chmod 600); its path is stored, never its contents. The BMC driver checks the settings before anything is written. The machine starts in state `enrolled`.";
  static override examples = [
    '<%= config.bin %> machine enroll --name r1-u07 --bmc-driver ipmi --bmc-host 10.0.0.7 --bmc-user admin --bmc-password-file /etc/nimbus/bmc/r1-u07 --mac aa:bb:cc:dd:ee:07 --class epyc-9474f',
  ];
  static override flags = {
    ...stateFlags,
    name: Flags.string({ description: 'Unique name of the machine (e.g. its rack position).', required: true }),
    'bmc-driver': Flags.option({ options: BMC_DRIVER_NAMES, description: 'How to talk to the BMC.', required: true })(),
    'bmc-host': Flags.string({ description: "The BMC's address or DNS name.", required: true }),
    'bmc-port': Flags.integer({ description: 'BMC port; defaults to 623 (IPMI) or 443 (Redfish).', min: 1, max: 65535 }),
    'bmc-user': Flags.string({ description: 'BMC user name.', required: true }),
    'bmc-password-file': Flags.string({ description: 'File holding the BMC password (mode 0600).', required: true }),
    mac: Flags.string({ description: 'A MAC the machine network-boots from; repeat for several.', required: true, multiple: true }),
    class: Flags.string({ description: 'Machine class id for the registry file; machines of one class are identical. Defaults to "default".' }),
    'bmc-scheme': Flags.option({ options: ['https', 'http'] as const, helpGroup: 'REDFISH', description: 'https (default), or http for emulators and labs.' })(),
    'bmc-tls-fingerprint': Flags.string({ helpGroup: 'REDFISH', description: "SHA-256 fingerprint of a self-signed BMC's certificate, to trust it instead of a CA." }),
    'bmc-system': Flags.string({ helpGroup: 'REDFISH', description: 'Which ComputerSystem (Id or path) when the service has several (default: the first).' }),
    'bmc-cipher-suite': Flags.option({ options: ['3', '17'] as const, helpGroup: 'IPMI', description: 'RMCP+ cipher suite to insist on (default: the best the BMC offers).' })(),
    'boot-mode': Flags.option({ options: ['uefi', 'legacy'] as const, description: 'Firmware mode the machine network-boots in (default uefi); legacy for BIOS machines.' })(),
    'bmc-kg-file': Flags.string({ helpGroup: 'IPMI', description: 'File holding the BMC key K_g as hex (mode 0600); its path is stored.' }),
  };

  async run(): Promise<MachineView> {
    const { flags } = await this.parse(MachineEnroll);
    const stateDir = resolveStateDir({ config: flags.config, stateDir: flags['state-dir'] });
    const machine = enrollMachine(stateDir, {
      name: flags.name,
      driver: flags['bmc-driver'],
      host: flags['bmc-host'],
      ...(flags['bmc-port'] === undefined ? {} : { port: flags['bmc-port'] }),
      username: flags['bmc-user'],
      passwordFile: flags['bmc-password-file'],
      macs: flags.mac,
      ...(flags.class === undefined ? {} : { class: flags.class }),
      options: {
        ...(flags['bmc-scheme'] === undefined ? {} : { scheme: flags['bmc-scheme'] }),
        ...(flags['bmc-tls-fingerprint'] === undefined ? {} : { tlsFingerprint: flags['bmc-tls-fingerprint'] }),
        ...(flags['bmc-system'] === undefined ? {} : { system: flags['bmc-system'] }),
        ...(flags['bmc-cipher-suite'] === undefined ? {} : { cipherSuite: flags['bmc-cipher-suite'] === '3' ? 3 : 17 }),
        ...(flags['bmc-kg-file'] === undefined ? {} : { kgFile: flags['bmc-kg-file'] }),
        ...(flags['boot-mode'] === undefined ? {} : { bootMode: flags['boot-mode'] }),
      },
    });
    this.logToStderr(`enrolled ${machine.name} (class ${machine.class}, state ${machine.state})`);
    // The id alone on stdout, so a script can capture it.
    this.log(machine.id);
    return machine;
  }
}
