/**
 * Runs a DhcpServer on the default ports (67/68/4011, listening on 0.0.0.0) for a test or
 * lab that cannot enter a network namespace itself: `ip netns exec NS node
 * --conditions=nimbus:source --no-warnings server-runner.ts CONFIG_JSON`. CONFIG_JSON is
 * `{ mode, serverAddress, pool?, leaseFile?, bootFiles: { bios, uefi, ipxe } }`: every MAC
 * boots, iPXE gets `ipxe`, BIOS firmware `bios`, anything else `uefi`. Prints one JSON line
 * `{"ready": address}` once bound, then `{"event": ...}` per packet; exits on SIGTERM or
 * when stdin closes.
 */
import type { DhcpPoolOptions } from '../leases.ts';
import { DhcpServer } from '../server.ts';
import type { DhcpMode } from '../server-options.ts';

interface RunnerConfig {
  mode: DhcpMode;
  serverAddress: string;
  pool?: DhcpPoolOptions;
  leaseFile?: string;
  bootFiles: { bios: string; uefi: string; ipxe: string };
}

const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
const print = (value: unknown): boolean => process.stdout.write(`${JSON.stringify(value)}\n`);

try {
  const server = await DhcpServer.listen({
    mode: config.mode,
    serverAddress: config.serverAddress,
    ...(config.pool ? { pool: config.pool } : {}),
    ...(config.leaseFile ? { leaseFile: config.leaseFile } : {}),
    policy: { offer: (request) => ({ bootFile: request.isIpxe ? config.bootFiles.ipxe : request.arch === 'bios' ? config.bootFiles.bios : config.bootFiles.uefi }) },
    onEvent: (event) => print({ event }),
  });
  print({ ready: server.address });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
} catch (error) {
  print({ error: (error as Error).message });
  process.exit(1);
}
