// Starts a Redfish emulator and prints its URL on the first line of stdout.
// Usage: node test/redfish-emulator/cli.ts --mockup public-rackmount1 [--port N]
//        [--user U] [--password-env VAR] [--page-size N] [--systems N] [--no-sessions] [--control]
import { parseArgs } from 'node:util';
import { MOCKUPS } from './mockup-store.ts';
import { RedfishEmulator, type RedfishEmulatorOptions } from './server.ts';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mockup: { type: 'string', default: 'public-rackmount1' },
      port: { type: 'string', default: '0' },
      user: { type: 'string' },
      // The password comes from the environment, never argv (argv is visible to every user).
      'password-env': { type: 'string' },
      'page-size': { type: 'string' },
      systems: { type: 'string' },
      'no-sessions': { type: 'boolean', default: false },
      control: { type: 'boolean', default: false },
    },
  });
  if (!(MOCKUPS as readonly string[]).includes(values.mockup)) {
    throw new Error(`--mockup: expected one of ${MOCKUPS.join(', ')}, got "${values.mockup}"`);
  }
  const options: RedfishEmulatorOptions = { mockup: values.mockup, port: positiveInt('port', values.port) ?? 0, offerSessions: !values['no-sessions'], control: values.control };
  if (values.user !== undefined) options.username = values.user;
  if (values['password-env'] !== undefined) {
    const password = process.env[values['password-env']];
    if (password === undefined) throw new Error(`--password-env: environment variable ${values['password-env']} is not set`);
    options.password = password;
  }
  const pageSize = positiveInt('page-size', values['page-size']);
  if (pageSize !== undefined) options.pageSize = pageSize;
  const systems = positiveInt('systems', values.systems);
  if (systems !== undefined) options.systemCount = systems;

  const emulator = await RedfishEmulator.start(options);
  process.stdout.write(`${emulator.url}\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`redfish-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
