/**
 * The boot service of `nimbusd serve`: TFTP for the iPXE binaries, DHCP (proxy or full) with
 * nimbusd's boot policy, and the boot HTTP server with nimbusd's routes, plus the deploy
 * flow's shared parts (boot sessions, their events, the tokens of open sessions). The
 * protocol servers know nothing of machines; this module wires them to the policy.
 */
import { join } from 'node:path';
import { DhcpServer } from '../boot/dhcp/index.ts';
import { BootHttpServer } from '../boot/http/index.ts';
import { TftpServer } from '../boot/tftp/index.ts';
import type { NimbusdConfig } from '../config/config.ts';
import { bootRoutes } from '../deploy/boot-routes.ts';
import { BootEvents } from '../deploy/events.ts';
import type { Logger } from '../logging/index.ts';
import { MachineBootPolicy } from '../machines/boot-policy.ts';
import type { NimbusMetrics } from '../metrics/nimbus-metrics.ts';
import { BootSessions } from '../state/boot-sessions.ts';
import type { Store } from '../state/store.ts';
import { ListenError } from './errors.ts';
import { prepareTftpRoot } from './tftp-root.ts';

export interface BootService {
  readonly sessions: BootSessions;
  readonly events: BootEvents;
  readonly tokens: Map<string, string>;
  readonly httpBase: string;
  readonly addresses: { http: number; tftp: number; dhcp: string };
  close(): Promise<void>;
}

export interface BootServiceOptions {
  config: NimbusdConfig;
  store: Store;
  logger: Logger;
  metrics: NimbusMetrics;
  /** Port overrides for tests (0 = any free port); the config's otherwise. */
  ports?: { http?: number; tftp?: number; dhcp?: number; dhcpProxy?: number; dhcpClient?: number };
  /** Where DHCP replies to clients without an address go (tests on loopback). */
  broadcastAddress?: string;
}

export async function startBootService(options: BootServiceOptions): Promise<BootService> {
  const { config, store, logger, metrics } = options;
  const boot = config.boot;
  const sessions = new BootSessions(store);
  const events = new BootEvents();
  const tokens = new Map<string, string>();
  const httpPort = options.ports?.http ?? boot.httpPort;
  const opened: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(opened.reverse().map((s) => s.close()));
  };
  try {
    // The URLs handed to machines name the bound port, known only once bound (tests bind port 0).
    let httpBase = '';
    const base = (): string => httpBase;
    const policy = new MachineBootPolicy({ store, sessions, events, httpBase: base, logger });
    const routes = bootRoutes({ store, sessions, events, policy, tokens, catalog: () => config.images, httpBase: base, ramdiskDir: boot.ramdiskDir, logger });
    const server = await BootHttpServer.listen({
      host: boot.address,
      port: httpPort,
      logger,
      routes,
      onRequest: (e) => metrics.recordBootRequest('http', e.route ?? 'none', String(e.status)),
    }).catch(listenError('boot HTTP', `${boot.address}:${httpPort}`));
    httpBase = `http://${boot.address}:${server.address.port}`;
    opened.push(server);
    const tftpPort = options.ports?.tftp ?? boot.tftpPort;
    const tftpRoot = join(config.stateDir, 'tftp');
    const ipxeFiles = prepareTftpRoot(boot.ipxeDir, tftpRoot);
    if (ipxeFiles.length === 0) logger.warn({ ipxeDir: boot.ipxeDir }, "no iPXE binaries found: firmware PXE cannot boot (install Debian's ipxe or set boot.ipxe_dir)");
    const tftp = await TftpServer.listen({
      root: tftpRoot,
      host: boot.address,
      port: tftpPort,
      logger,
      onEvent: (e) => metrics.recordBootRequest('tftp', e.type, e.type === 'transfer' ? e.outcome : e.fault),
    }).catch(listenError('TFTP', `${boot.address}:${tftpPort}`));
    opened.push(tftp);
    const dhcpPort = options.ports?.dhcp ?? boot.dhcpPort;
    const dhcp = await DhcpServer.listen({
      mode: boot.dhcpMode,
      serverAddress: boot.address,
      ports: { server: dhcpPort, ...(options.ports?.dhcpProxy === undefined ? {} : { proxy: options.ports.dhcpProxy }), ...(options.ports?.dhcpClient === undefined ? {} : { client: options.ports.dhcpClient }) },
      ...(options.broadcastAddress === undefined ? {} : { broadcastAddress: options.broadcastAddress }),
      ...(boot.dhcpMode === 'full' && boot.pool ? { pool: boot.pool, leaseFile: join(config.stateDir, 'dhcp-leases.json') } : {}),
      policy,
      logger,
      onEvent: (e) => metrics.recordBootRequest('dhcp', e.messageType, e.outcome),
    }).catch(listenError('DHCP', `0.0.0.0:${dhcpPort}`));
    opened.push(dhcp);
    logger.info({ http: httpBase, tftp: tftp.address.port, dhcp: boot.dhcpMode }, 'boot service listening');
    return { sessions, events, tokens, httpBase, addresses: { http: server.address.port, tftp: tftp.address.port, dhcp: boot.dhcpMode }, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function listenError(what: string, where: string): (err: unknown) => never {
  return (err) => {
    throw new ListenError(`cannot start the ${what} server on ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  };
}
