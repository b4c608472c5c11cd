// The user's whole journey on real (virtual) machines, with the built nimbusctl: a Git
// registry with two providers, the cheaper one down, the other a lab site whose nimbusd
// deploys a SeaBIOS VM. `instance create` falls back to the live provider and follows the
// deploy, `instance ssh ID -- hostname` prints the VM's hostname through OpenSSH, and
// `instance delete --wait` returns the machine to the pool. nimbusctl runs inside the lab
// namespace, where the site is (the namespace has no link to the host).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSite, labSiteMissing } from './lab-support/lab-site.ts';
import { NIMBUSCTL_BIN, NimbusctlHome } from './support/nimbusctl.ts';
import { siteProviderToml, TestRegistryRemote } from './support/registry-fixtures.ts';

const missing = labSiteMissing();

describe.skipIf(missing !== undefined)(`nimbusctl provisions a lab VM end to end${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let site: LabSite;
  let remote: TestRegistryRemote;
  let home: NimbusctlHome;
  const nimbusctl = async (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: any }> => {
    const r = await site.network.run(process.execPath, [NIMBUSCTL_BIN, ...args], { env: home.env, cwd: home.root, check: false, timeoutMs: 600_000 });
    let json: unknown;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      json = undefined;
    }
    return { ...r, json };
  };

  beforeAll(async () => {
    site = await LabSite.start({
      pxeTimeoutSeconds: 120,
      vms: [{ name: 'web', klass: 'default', firmware: 'bios', nic: 'e1000', bmc: 'redfish', memoryMiB: 512, diskMiB: 128 }],
    });
    const lab = site.endpoint;
    remote = new TestRegistryRemote({
      // Cheaper, so placement tries it first; nothing listens on its port.
      'providers/down-site.toml': siteProviderToml('down-site', { host: lab.host, port: 2299, hostKey: `SHA256:${'D'.repeat(43)}`, image: 'nimbus-tiny', price: 0.1 }),
      'providers/lab-site.toml': siteProviderToml('lab-site', { host: lab.host, port: lab.port, hostKey: lab.hostKey, image: 'nimbus-tiny', price: 0.5 }),
    });
    home = new NimbusctlHome();
    expect((await nimbusctl('registry', 'add', 'lab', remote.bare)).code).toBe(0);
    expect((await nimbusctl('registry', 'sync')).code).toBe(0);
  }, 1_200_000);

  afterAll(async () => {
    await site?.destroy();
    remote?.remove();
    home?.remove();
  });

  it('creates an instance past the provider that is down, logs in with instance ssh, and deletes it', async () => {
    const key = site.tenantKeyPath;
    const created = await nimbusctl('instance', 'create', '--image', 'nimbus-tiny', '--ssh-key', `${key}.pub`, '--identity', key, '--name', 'web-1', '--json');
    expect(created.code, `${created.stdout}${created.stderr}`).toBe(0);
    const instance = created.json.instances?.[0] ?? created.json.instance ?? created.json;
    const attempts = JSON.stringify(created.json.attempts ?? created.json);
    expect(attempts).toContain('down-site');
    const id: string = instance.id;
    expect(id).toMatch(/^i-/);

    const login = await nimbusctl('instance', 'ssh', id, '--', 'hostname');
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout.trim()).toBe('web-1');

    const listed = await nimbusctl('instance', 'list', '--json');
    expect(JSON.stringify(listed.json)).toContain(id);

    const deleted = await nimbusctl('instance', 'delete', id, '--wait', '--json');
    expect(deleted.code, `${deleted.stdout}${deleted.stderr}`).toBe(0);
    const capacity = await site.api('capacity');
    expect(capacity.value).toEqual({ free: 1, classes: { default: 1 } });
  }, 900_000);
});
