/** The flags every `nimbusd bmc` command takes to reach one BMC. There is deliberately no password flag. */
import { Flags } from '@oclif/core';
import { BMC_DRIVER_NAMES } from '../bmc/drivers/index.ts';
import { PASSWORD_ENV, type BmcConnectionSettings } from './bmc-connection.ts';

const IPMI = 'IPMI';
const REDFISH = 'REDFISH';

export const bmcFlags = {
  driver: Flags.option({ options: BMC_DRIVER_NAMES, required: true, description: 'How to speak to the BMC.' })(),
  host: Flags.string({ required: true, description: 'BMC host name or address.' }),
  port: Flags.integer({ min: 1, max: 65535, description: 'BMC port (default: 623 for IPMI, 443 for Redfish).' }),
  user: Flags.string({ required: true, description: 'BMC user name.' }),
  'password-file': Flags.string({
    description: `File holding the BMC password, readable by its owner only (default: the ${PASSWORD_ENV} environment variable).`,
  }),
  scheme: Flags.option({ options: ['https', 'http'] as const, helpGroup: REDFISH, description: 'https (default), or http for emulators and labs.' })(),
  'tls-fingerprint': Flags.string({ helpGroup: REDFISH, description: "SHA-256 fingerprint of a self-signed BMC's certificate, to trust it instead of a CA." }),
  system: Flags.string({ helpGroup: REDFISH, description: 'Which ComputerSystem (Id or path) when the service has several (default: the first).' }),
  'cipher-suite': Flags.option({ options: ['3', '17'] as const, helpGroup: IPMI, description: 'RMCP+ cipher suite to insist on (default: the best the BMC offers).' })(),
  'kg-file': Flags.string({ helpGroup: IPMI, description: 'File holding the BMC key K_g as hex, readable by its owner only.' }),
};

type BmcFlagValues = {
  driver: (typeof BMC_DRIVER_NAMES)[number];
  host: string;
  port?: number | undefined;
  user: string;
  'password-file'?: string | undefined;
  scheme?: 'https' | 'http' | undefined;
  'tls-fingerprint'?: string | undefined;
  system?: string | undefined;
  'cipher-suite'?: '3' | '17' | undefined;
  'kg-file'?: string | undefined;
};

export function settingsFromFlags(flags: BmcFlagValues): BmcConnectionSettings {
  return {
    driver: flags.driver,
    host: flags.host,
    port: flags.port,
    user: flags.user,
    passwordFile: flags['password-file'],
    scheme: flags.scheme,
    tlsFingerprint: flags['tls-fingerprint'],
    system: flags.system,
    cipherSuite: flags['cipher-suite'] === undefined ? undefined : flags['cipher-suite'] === '3' ? 3 : 17,
    kgFile: flags['kg-file'],
  };
}
