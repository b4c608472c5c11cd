// Starts a Redfish emulator and prints its URL on the first line of stdout.
// Usage: node test/redfish-emulator/cli.ts --mockup public-rackmount1 [--port N]
//        [--user U] [--password-env VAR] [--page-size N] [--systems N] [--no-sessions] [--control]
//        [--qemu-vm STATE_DIR] [--https HOST:PORT --tls-cert FILE --tls-key FILE]
// --qemu-vm: the system is a lab VM (test/lab): Reset powers it, a Boot override sets its
//   next boot device. --https: also serve HTTPS on HOST:PORT (TLS ends here, requests go
//   on to the emulator on 127.0.0.1); the URL printed is then the HTTPS one.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { MOCKUPS } from './mockup-store.ts';
import { QemuSystemBackend } from './qemu-backend.ts';
import { RedfishEmulator, type RedfishEmulatorOptions } from './server.ts';
import { InMemorySystemBackend } from './system-backend.ts';

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
      'qemu-vm': { type: 'string' },
      https: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
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

  let vmBackend: QemuSystemBackend | undefined;
  if (values['qemu-vm'] !== undefined) {
    if ((options.systemCount ?? 1) > 1) throw new Error('--qemu-vm: one VM stands behind one system; leave out --systems');
    const backend = QemuSystemBackend.open(values['qemu-vm']);
    vmBackend = backend;
    let given = false;
    // The first system is the VM; any other the mockup has stays in memory.
    options.backend = (_path, initial) => {
      if (given) return new InMemorySystemBackend(initial);
      given = true;
      return backend;
    };
  }
  const https = parseHttps(values.https, values['tls-cert'], values['tls-key']);

  const emulator = await RedfishEmulator.start(options);
  if (vmBackend !== undefined) showVmBootDevice(emulator, vmBackend);
  const front = https === undefined ? undefined : await startTlsFront(https, new URL(emulator.url));
  process.stdout.write(`${front === undefined ? emulator.url : `https://${https?.host}:${https?.port}`}\n`);
  const stop = (): void => {
    front?.close();
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

interface HttpsOptions {
  host: string;
  port: number;
  cert: Buffer;
  key: Buffer;
}

function parseHttps(listen: string | undefined, certFile: string | undefined, keyFile: string | undefined): HttpsOptions | undefined {
  if (listen === undefined) {
    if (certFile !== undefined || keyFile !== undefined) throw new Error('--tls-cert/--tls-key: only with --https HOST:PORT');
    return undefined;
  }
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const port = positiveInt('https', listen.slice(colon + 1));
  if (colon <= 0 || port === undefined || port > 65535) throw new Error(`--https: expected HOST:PORT, got "${listen}"`);
  if (certFile === undefined || keyFile === undefined) throw new Error('--https: needs --tls-cert FILE and --tls-key FILE (PEM)');
  return { host, port, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** Ends TLS on host:port and passes each connection's bytes on to the emulator's HTTP listener. */
async function startTlsFront(https: HttpsOptions, upstream: URL): Promise<TlsServer> {
  const server = createTlsServer({ cert: https.cert, key: https.key }, (client) => {
    const backend = connect(Number(upstream.port), upstream.hostname);
    client.pipe(backend).pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(https.port, https.host, () => resolve());
  });
  return server;
}

/** The mockup's Boot override says what the mockup's author set; show the VM's instead. */
function showVmBootDevice(emulator: RedfishEmulator, backend: QemuSystemBackend): void {
  const path = emulator.systemPaths[0];
  const boot = path === undefined ? undefined : emulator.resource(path)?.['Boot'];
  if (typeof boot !== 'object' || boot === null) return;
  const state = backend.vm.bootState();
  const device = state.once ?? state.persistent;
  Object.assign(boot, {
    BootSourceOverrideTarget: device === 'pxe' ? 'Pxe' : 'Hdd',
    BootSourceOverrideEnabled: state.once !== undefined ? 'Once' : state.persistent === 'pxe' ? 'Continuous' : 'Disabled',
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`redfish-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
