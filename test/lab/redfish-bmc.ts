/**
 * A Redfish BMC for a lab VM: the project's Redfish emulator (test/redfish-emulator/cli.ts)
 * with the VM as its system's backend, run inside the lab namespace and served over HTTPS
 * on an address of its own on the bridge, with a fresh self-signed certificate. Clients
 * pin the certificate by its SHA-256 fingerprint (nimbusd's `tlsFingerprint` BMC setting).
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabConfigError, LabTimeoutError } from './errors.ts';
import { runCommand } from './exec.ts';
import { DEFAULT_BMC_PASSWORD, DEFAULT_BMC_USER } from './ipmi-bmc.ts';
import type { LabNetwork, LabProcess } from './network.ts';
import type { LabVm } from './vm.ts';

export const DEFAULT_REDFISH_PORT = 443;
const EMULATOR_CLI = resolve(import.meta.dirname, '../redfish-emulator/cli.ts');
const PASSWORD_ENV = 'NIMBUS_LAB_BMC_PASSWORD';
const READY_TIMEOUT_MS = 20_000;

export interface RedfishBmcOptions {
  /** Default `admin`. */
  user?: string;
  /** Default `password`; handed to the emulator through its environment, never argv. */
  password?: string;
  /** Default 443. */
  port?: number;
  /** A mockup with one system; default `public-rackmount1`. */
  mockup?: string;
}

export interface RedfishBmc {
  /** `https://<host>:<port>`, reachable from inside the lab network. */
  url: string;
  host: string;
  port: number;
  username: string;
  /** SHA-256 fingerprint of the BMC's certificate, `AB:CD:…` (what nimbusd's `tlsFingerprint` takes). */
  tlsFingerprint: string;
  /** The certificate (PEM), e.g. for `curl --cacert` (its subjectAltName is the BMC's IP). */
  certificatePath: string;
  log: string;
  process: LabProcess;
  stop(): Promise<void>;
}

/** A self-signed P-256 certificate for `ip` (as CN and subjectAltName), valid for 7 days. */
async function makeCertificate(dir: string, ip: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`, '-days', '7', '-keyout', key, '-out', cert], { timeoutMs: 20_000 });
  return { cert, key };
}

/** Starts the emulator for `vm` inside its network and waits until it serves HTTPS. */
export async function startRedfishBmc(network: LabNetwork, vm: LabVm, options: RedfishBmcOptions = {}): Promise<RedfishBmc> {
  const user = options.user ?? DEFAULT_BMC_USER;
  const password = options.password ?? DEFAULT_BMC_PASSWORD;
  if (user === '' || password === '') throw new LabConfigError('Redfish BMC: user and password must not be empty');
  const port = options.port ?? DEFAULT_REDFISH_PORT;
  const host = network.allocateAddress();
  const dir = join(network.dir, 'bmc', `redfish-${vm.name}`);
  mkdirSync(dir, { recursive: true });
  const { cert, key } = await makeCertificate(dir, host);
  const tlsFingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;

  const log = join(network.dir, 'logs', `redfish-${vm.name}.log`);
  const args = ['--no-warnings', EMULATOR_CLI, '--mockup', options.mockup ?? 'public-rackmount1', '--qemu-vm', vm.stateDir, '--user', user, '--password-env', PASSWORD_ENV, '--https', `${host}:${port}`, '--tls-cert', cert, '--tls-key', key];
  const proc = network.spawn(process.execPath, args, { log, env: { [PASSWORD_ENV]: password } });

  const url = `https://${host}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // not written yet
    }
    if (text.split('\n').includes(url)) break;
    if (!proc.running || Date.now() > deadline) {
      await proc.stop();
      throw new LabTimeoutError(`Redfish emulator for VM ${vm.name} did not serve ${url} ${proc.running ? `within ${READY_TIMEOUT_MS} ms` : '(it exited)'}: ${text.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await sleep(50);
  }
  return { url, host, port, username: user, tlsFingerprint, certificatePath: cert, log, process: proc, stop: () => proc.stop() };
}
