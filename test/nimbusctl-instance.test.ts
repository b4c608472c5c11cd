/**
 * nimbusctl's instance commands end to end: the built binary, a real Git registry, and
 * real `nimbusd serve` processes on loopback. Provider pa is down (a closed port), pb
 * deploys (boot service on 127.0.0.1, one machine behind the Redfish emulator; this test
 * plays the machine's ramdisk), pc is pb's address under a wrong host-key pin, pd lets only
 * listed keys in.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, freeTcpPort, nimbusdBuilt, type NimbusdSite } from './support/nimbusd-site.ts';
import { NimbusctlHome, REPO_ROOT } from './support/nimbusctl.ts';
import { siteProviderToml, TestRegistryRemote } from './support/registry-fixtures.ts';
import { ServeProcess } from './support/serve-process.ts';
import { sshTestKey, type SshTestKey } from './support/ssh-test-key.ts';
import { TEST_SECRETS } from './support/test-secrets.ts';
import { canListenOnPort22, IMAGE, IMAGE_USER, playRamdisk, runNimbusctlAsync, startDeploySite, type DeploySite } from './nimbusctl-support/deploy-site.ts';

const WRONG_PIN = `SHA256:${'Q'.repeat(43)}`;
const SIGNUP = 'https://d.example/signup';

/** A provider file whose endpoint is a loopback nimbusd, with one class `default` of the image the test site serves. */
function providerFile(id: string, o: { port: number; hostKey: string; price: number; region: string; policy?: 'open' | 'allowlist' }): string {
  return siteProviderToml(id, { host: '127.0.0.1', image: IMAGE, ...o, ...(o.policy === 'allowlist' ? { allowlistSignup: SIGNUP } : {}) });
}

const runnable = nimbusdBuilt() && (await canListenOnPort22());

describe.skipIf(!runnable)('nimbusctl instance against nimbusd serve on loopback (needs ./scripts/setup and port 22 on 127/8, i.e. root)', () => {
  let b: DeploySite;
  let d: NimbusdSite;
  let dServe: ServeProcess;
  let remote: TestRegistryRemote;
  let home: NimbusctlHome;
  let user: SshTestKey;
  let aPort: number;
  let instanceId: string;

  beforeAll(async () => {
    user = sshTestKey('nimbusctl-user');
    aPort = await freeTcpPort();
    b = await startDeploySite({ providerId: 'pb', tenantPolicy: 'open', bmcPassword: TEST_SECRETS.redfishPassword });
    d = await createSite({ providerId: 'pd', tenantPolicy: 'allowlist', tenantKeys: [] });
    dServe = new ServeProcess({ configPath: d.configPath, env: d.env });
    await dServe.waitForLog('nimbusd listening');
    remote = new TestRegistryRemote({
      'providers/pa.toml': providerFile('pa', { port: aPort, hostKey: `SHA256:${'B'.repeat(43)}`, price: 0.1, region: 'eu-central' }),
      'providers/pb.toml': providerFile('pb', { port: b.site.apiPort, hostKey: b.site.hostKeyFingerprint, price: 0.5, region: 'eu-central' }),
      'providers/pc.toml': providerFile('pc', { port: b.site.apiPort, hostKey: WRONG_PIN, price: 0.2, region: 'us-east' }),
      'providers/pd.toml': providerFile('pd', { port: d.apiPort, hostKey: d.hostKeyFingerprint, price: 0.2, region: 'us-east', policy: 'allowlist' }),
    });
    home = new NimbusctlHome();
    const ssh = join(home.root, '.ssh');
    mkdirSync(ssh, { mode: 0o700 });
    writeFileSync(join(ssh, 'id_ed25519'), user.privateKey, { mode: 0o600 });
    chmodSync(join(ssh, 'id_ed25519'), 0o600);
    writeFileSync(join(ssh, 'id_ed25519.pub'), `${user.publicKey}\n`);
    expect(home.run(['registry', 'add', 'lab', remote.bare]).status).toBe(0);
    expect(home.run(['registry', 'sync']).status).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await dServe?.stop();
    d?.remove();
    await b?.stop();
    remote?.remove();
    home?.remove();
  });

  it('says what to do before any registry is synced', () => {
    const fresh = new NimbusctlHome();
    try {
      const r = fresh.run(['instance', 'create', '--image', IMAGE]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('nimbusctl registry add NAME URL');
    } finally {
      fresh.remove();
    }
  });

  it('falls back from the unreachable provider pa to pb, which deploys the instance', async () => {
    const stop = new AbortController();
    const creating = runNimbusctlAsync(home.env, ['instance', 'create', '--image', IMAGE, '--region', 'eu-central', '--name', 'web-1', '--json']);
    const playing = playRamdisk(b, AbortSignal.any([stop.signal, AbortSignal.timeout(45_000)]));
    const created = await creating;
    stop.abort();
    await playing.catch(() => undefined);
    expect(created.status, created.stdout + created.stderr).toBe(0);
    expect(created.json.attempts[0].message).toContain(`provider "pa" (127.0.0.1:${aPort}) is unreachable`);
    expect(created.json.attempts[0].next).toBe('pb/default');
    expect(created.json.attempts.map((a: { providerId: string; result: string }) => [a.providerId, a.result])).toEqual([
      ['pa', 'unreachable'],
      ['pb', 'created'],
    ]);
    expect(created.json.instances).toHaveLength(1);
    expect(created.json.instances[0]).toMatchObject({ name: 'web-1', providerId: 'pb', classId: 'default', state: 'deployed', outcome: 'deployed', address: b.instanceAddress, sshUser: IMAGE_USER });
    instanceId = created.json.instances[0].id;
  }, 60_000);

  it('lists the instance live from its provider, and shows it', () => {
    const list = home.run(['instance', 'list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.json.rows).toEqual([expect.objectContaining({ id: instanceId, name: 'web-1', providerId: 'pb', state: 'deployed', address: b.instanceAddress, stale: false })]);
    const table = home.run(['instance', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${instanceId}\\s+web-1\\s+pb\\s+deployed\\s+${b.instanceAddress.replaceAll('.', '\\.')}\\s+${IMAGE_USER}`, 'm'));
    const show = home.run(['instance', 'show', 'web-1', '--json']);
    expect(show.json).toMatchObject({ stale: false, instance: { id: instanceId, state: 'deployed', provider: { providerId: 'pb' } } });
  });

  it('builds the ssh command line with the image user, the address and the key', () => {
    const r = home.run(['instance', 'ssh', instanceId, '--print', '--', 'uname', '-a']);
    expect(r.status, r.stderr).toBe(0);
    const knownHosts = join(home.root, 'state', 'nimbus', 'known_hosts', instanceId);
    expect(r.stdout.trim()).toBe(
      `ssh -i ${join(home.root, '.ssh', 'id_ed25519')} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${knownHosts} -l ${IMAGE_USER} -- ${b.instanceAddress} uname -a`,
    );
  });

  it('passes over a provider whose registry entry is stale: its only machine is taken', () => {
    const r = home.run(['instance', 'create', '--image', IMAGE, '--provider', 'pb']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('provider "pb" has no free machine of class default right now');
    expect(r.stderr).toContain('no candidate left to try');
    expect(r.stderr).toContain('error: no candidate could create the instance');
  });

  it('refuses a provider whose host key is not the one the registry pins, naming the entry and both keys', () => {
    const r = home.run(['instance', 'create', '--image', IMAGE, '--provider', 'pc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`provider "pc" (127.0.0.1:${b.site.apiPort}) presented host key ${b.site.hostKeyFingerprint}, but registry "lab" (providers/pc.toml) pins ${WRONG_PIN}; refusing to connect`);
    expect(home.run(['instance', 'create', '--image', IMAGE, '--provider', 'pc', '--json']).json).toMatchObject({ code: 'CREATE_FAILED' });
  });

  it('says where to ask when a provider allowlists keys and yours is not listed', () => {
    const r = home.run(['instance', 'create', '--image', IMAGE, '--provider', 'pd']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`provider "pd" (127.0.0.1:${d.apiPort}) does not accept your key`);
    expect(r.stderr).toContain(`ask for it to be allowlisted at ${SIGNUP}`);
  });

  it('reports every provider: reachability, host key, your key, free capacity', () => {
    const r = home.run(['providers', 'status', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const byId = Object.fromEntries(r.json.map((s: { id: string }) => [s.id, s]));
    expect(byId.pa).toMatchObject({ reachable: false, hostKey: 'unknown', capacity: null });
    expect(byId.pb, JSON.stringify(byId.pb)).toMatchObject({ reachable: true, hostKey: 'ok', auth: 'ok', capacity: { free: 0 } });
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'nimbusd', 'package.json'), 'utf8')) as { version: string };
    expect(byId.pb.version).toBe(version);
    expect(byId.pa.version).toBeNull();
    expect(byId.pc).toMatchObject({ reachable: true, hostKey: 'mismatch' });
    expect(byId.pd).toMatchObject({ reachable: true, hostKey: 'ok', auth: 'refused' });
  });

  it('says plainly that a machine behind Redfish has no serial console to give', () => {
    const r = home.run(['instance', 'console', instanceId]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`instance ${instanceId} has no serial console here: its machine's BMC (redfish) gives none nimbusd can open`);
    expect(home.run(['instance', 'console', instanceId, '--json']).json).toMatchObject({ code: 'CONSOLE_UNSUPPORTED' });
  });

  it('deletes the instance, and the machine is ready again', async () => {
    const r = home.run(['instance', 'delete', instanceId, '--wait', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ id: instanceId, providerId: 'pb', state: 'released' });
    let free = 0;
    for (let i = 0; i < 50 && free !== 1; i++) {
      free = home.run(['providers', 'status', '--provider', 'pb', '--json']).json?.[0]?.capacity?.classes?.default ?? 0;
      if (free !== 1) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(free).toBe(1);
    expect(home.run(['instance', 'list', '--json']).json.rows).toEqual([]);
  }, 30_000);
});
