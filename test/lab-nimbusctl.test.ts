// The user's whole journey on real (virtual) machines, with the built nimbusctl: a Git
// registry with two providers, the cheaper one down, the other a lab site whose nimbusd
// deploys a SeaBIOS VM behind ipmi_sim. `instance create` falls back to the live provider
// and follows the deploy on a terminal until Ctrl-C detaches it; `instance watch`
// reattaches; `instance ssh ID -- hostname` prints the VM's hostname through OpenSSH;
// `instance console` shows the VM's serial port through IPMI SOL while it reboots, from a
// pipe and from a terminal (with takeover and the ~. escape); `instance delete --wait`
// returns the machine to the pool. nimbusctl runs inside the lab namespace, where the site
// is (the namespace has no link to the host).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interactive } from './lab-support/interactive.ts';
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
      vms: [{ name: 'web', klass: 'default', firmware: 'bios', nic: 'e1000', bmc: 'ipmi', memoryMiB: 512, diskMiB: 128 }],
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

  const interactive = (args: string[], tty: boolean) => new Interactive(site.network.name, [process.execPath, NIMBUSCTL_BIN, ...args], { env: home.env, cwd: home.root, tty });

  it('creates an instance past the provider that is down, detaches on Ctrl-C, reattaches, logs in, shows the console, and deletes it', async () => {
    const key = site.tenantKeyPath;
    // On a terminal: phases as they pass, then Ctrl-C (a keystroke, not a signal we send).
    const creating = interactive(['instance', 'create', '--image', 'nimbus-tiny', '--ssh-key', `${key}.pub`, '--identity', key, '--name', 'web-1'], true);
    await creating.waitFor(/\d+(\.\d)?s\s+(power|pxe)/, 120_000);
    creating.write('\x03');
    expect(await creating.exit(30_000), creating.stdout).toBe(0);
    expect(creating.stdout).toContain('down-site');
    const watchHint = creating.stdout.match(/detached; the provider keeps deploying\. Follow again with: nimbusctl instance watch (i-[\w-]+)/);
    expect(watchHint, creating.stdout).not.toBeNull();
    const id = watchHint![1]!;

    // Detaching did not cancel: watch picks the deploy up and sees it through.
    const watched = await nimbusctl('instance', 'watch', id, '--json');
    expect(watched.code, `${watched.stdout}${watched.stderr}`).toBe(0);
    expect(watched.json).toMatchObject({ id, outcome: 'deployed', state: 'deployed' });

    const login = await nimbusctl('instance', 'ssh', id, '--', 'hostname');
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout.trim()).toBe('web-1');

    // The console from a pipe, while the VM reboots: its boot reaches us through IPMI SOL.
    const piped = interactive(['instance', 'console', id], false);
    await new Promise((r) => setTimeout(r, 2000)); // SOL activates before the reset
    const reboot = await nimbusctl('instance', 'reboot', id);
    expect(reboot.code, reboot.stderr).toBe(0);
    await piped.waitFor(/NIMBUS-IMAGE-READY/, 120_000);

    // A second console is refused while the first is open, and says how to take it over.
    const second = await nimbusctl('instance', 'console', id);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`the console of ${id} is open in another session; run again with --force`);

    // From a terminal, forced: the piped console is told why it closed; ~. leaves.
    const tty = interactive(['instance', 'console', id, '--force'], true);
    await tty.waitFor(/Connected to the console of web-1 \(IPMI SOL at provider "lab-site"\)\. Type ~\. to leave/, 60_000);
    expect(await piped.exit(30_000)).toBe(1);
    expect(piped.stderr).toContain('The console of web-1 closed: another session took the console over');
    tty.write('\r~.');
    expect(await tty.exit(30_000), tty.stdout).toBe(0);
    expect(tty.stdout).toContain('Left the console of web-1; the machine keeps running.');

    const listed = await nimbusctl('instance', 'list', '--json');
    expect(JSON.stringify(listed.json)).toContain(id);

    const deleted = await nimbusctl('instance', 'delete', id, '--wait', '--json');
    expect(deleted.code, `${deleted.stdout}${deleted.stderr}`).toBe(0);
    const capacity = await site.api('capacity');
    expect(capacity.value).toEqual({ free: 1, classes: { default: 1 } });
  }, 900_000);
});
