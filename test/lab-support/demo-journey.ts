// The second half of ./scripts/demo: the user's whole journey on real (virtual) machines.
// A provider site in a lab network namespace (nimbusd serve with its boot service, a
// SeaBIOS VM behind the Redfish emulator and an OVMF VM behind ipmi_sim), its registry
// file written by `nimbusd registry export` and pushed to the demo's registry, then
// nimbusctl (inside the namespace, where the site is): sync, plan, instance create,
// instance ssh -- uname -a, instance delete. Everything is removed at the end.
// Usage: node --conditions=nimbus:source demo-journey.ts REGISTRY_SRC_DIR REGISTRY_BARE_REPO   (XDG_* set by the caller)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NIMBUSD_BIN } from '../support/cli.ts';
import { NIMBUSCTL_BIN } from '../support/nimbusctl.ts';
import { LabSite, labSiteMissing } from './lab-site.ts';

const [registrySrc, registryBare] = process.argv.slice(2);
if (!registrySrc || !registryBare) {
  process.stderr.write('usage: demo-journey.ts REGISTRY_SRC_DIR REGISTRY_BARE_REPO\n');
  process.exit(2);
}
const missing = labSiteMissing();
if (missing) {
  process.stdout.write(`\nThe VM part of the demo cannot run here: ${missing}.\nRun ./scripts/demo as root on a machine with those packages to see a VM deployed and logged into.\n`);
  process.exit(0);
}

const step = (title: string, command: string): void => {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n$ ${command}\n`);
};
const git = (...args: string[]): void => {
  const r = spawnSync('git', ['-C', registrySrc, '-c', 'user.name=Nimbus demo', '-c', 'user.email=demo@nimbus.example', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

const started = Date.now();
step('Start a provider site in a lab network: nimbusd serve, its boot service, two VMs behind a Redfish and an IPMI BMC', 'LabSite.start(…)');
const site = await LabSite.start({
  pxeTimeoutSeconds: 120,
  vms: [
    { name: 'rack1-u01', klass: 'lab-vm', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 1024, diskMiB: 1024 },
    { name: 'rack1-u02', klass: 'lab-vm', firmware: 'uefi', nic: 'virtio-native-pxe', bmc: 'ipmi', memoryMiB: 1024, diskMiB: 1024 },
  ],
});
const inNetns = async (bin: string, ...args: string[]): Promise<number> => {
  const r = await site.network.run(process.execPath, [bin, ...args], { check: false, timeoutMs: 900_000 });
  process.stdout.write(r.stdout);
  if (r.stderr.trim()) process.stdout.write(r.stderr);
  return r.code ?? 1;
};
try {
  process.stdout.write(`site up in ${((Date.now() - started) / 1000).toFixed(1)} s: nimbusd at ${site.endpoint.host}:${site.endpoint.port}, host key ${site.endpoint.hostKey}\n`);

  // The registry file needs who the provider is and what its machines are.
  const config = readFileSync(site.configPath, 'utf8')
    .replace(/^# (name|contact|region|country|city|currency) = /gm, '$1 = ')
    .replace(/^# images = .*$/m, 'images = ["nimbus-tiny"]')
    .replace(/^id = ".*"$/m, 'id = "lab-site"');
  writeFileSync(site.configPath, config);
  const classes = join(site.network.dir, 'classes.json');
  writeFileSync(classes, JSON.stringify({ 'lab-vm': { arch: 'x86_64', cpu: { model: 'QEMU TCG', cores: 1, threads: 1 }, memory_gib: 1, disks: [{ type: 'ssd', size_gb: 1, count: 1 }], nics: [{ speed_gbps: 1 }] } }));
  step("Write this site's registry file from its config and enrolled machines", 'nimbusd registry export --classes classes.json --price-per-hour 0.05 > providers/lab-site.toml');
  const exported = spawnSync(process.execPath, [NIMBUSD_BIN, 'registry', 'export', '--config', site.configPath, '--classes', classes, '--price-per-hour', '0.05'], { encoding: 'utf8' });
  if (exported.status !== 0) throw new Error(`nimbusd registry export: ${exported.stderr}`);
  writeFileSync(join(registrySrc, 'providers', 'lab-site.toml'), exported.stdout);
  process.stdout.write(exported.stdout);
  git('add', 'providers/lab-site.toml');
  git('commit', '-q', '-m', 'Add the lab site');
  git('push', '-q', registryBare, 'HEAD:main');

  step('Fetch the registry again (only the new file is parsed)', 'nimbusctl registry sync');
  await inNetns(NIMBUSCTL_BIN, 'registry', 'sync');
  step('Plan a machine for the image', 'nimbusctl plan --image nimbus-tiny --provider lab-site --explain');
  await inNetns(NIMBUSCTL_BIN, 'plan', '--image', 'nimbus-tiny', '--provider', 'lab-site', '--explain');
  const key = site.tenantKeyPath;
  step('Create an instance: placement, live capacity, PXE, image, reboot, SSH', `nimbusctl instance create --image nimbus-tiny --provider lab-site --name demo-vm --ssh-key ${key}.pub --identity ${key}`);
  const createdAt = Date.now();
  const created = await site.network.run(process.execPath, [NIMBUSCTL_BIN, 'instance', 'create', '--image', 'nimbus-tiny', '--provider', 'lab-site', '--name', 'demo-vm', '--ssh-key', `${key}.pub`, '--identity', key, '--json'], { check: false, timeoutMs: 900_000 });
  const result = JSON.parse(created.stdout || '{}') as { instances?: { id: string; address?: string; state?: string }[] };
  const instance = result.instances?.[0];
  if (created.code !== 0 || !instance) throw new Error(`instance create failed:\n${created.stdout}${created.stderr}`);
  process.stdout.write(`instance ${instance.id} ${instance.state ?? ''} at ${instance.address ?? '?'} in ${((Date.now() - createdAt) / 1000).toFixed(1)} s\n`);
  step('Log in to it', `nimbusctl instance ssh ${instance.id} -- uname -a`);
  if ((await inNetns(NIMBUSCTL_BIN, 'instance', 'ssh', instance.id, '--', 'uname', '-a')) !== 0) throw new Error('instance ssh failed');
  step('Give it back', `nimbusctl instance delete ${instance.id} --wait`);
  await inNetns(NIMBUSCTL_BIN, 'instance', 'delete', instance.id, '--wait');
} finally {
  await site.destroy();
}
process.stdout.write(`\nVM journey finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
