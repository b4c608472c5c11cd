import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigFiles } from './config-files.ts';
import { fingerprintOfPublicKeyLine } from './fingerprint.ts';
import { ensureHostKey, readHostKey } from './host-key.ts';
import { initSite, providerIdFromHostname } from './init-site.ts';
import { loadConfig } from './load-config.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbusd-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string): number => statSync(path).mode & 0o777;
/** What OpenSSH itself says the key's fingerprint is: `256 SHA256:… comment (ED25519)`. */
const sshKeygenFingerprint = (pubPath: string): string => execFileSync('ssh-keygen', ['-lf', pubPath], { encoding: 'utf8' }).split(' ')[1]!;

describe('initSite', () => {
  it('writes a config, a 0700 state dir and a 0600 ed25519 host key whose fingerprint ssh-keygen agrees with', () => {
    const configPath = join(dir, 'etc', 'nimbusd.toml');
    const stateDir = join(dir, 'state');
    const result = initSite({ configPath, stateDir, providerId: 'acme-fra1' });

    expect(mode(stateDir)).toBe(0o700);
    expect(mode(result.hostKeyPath)).toBe(0o600);
    expect(existsSync(join(stateDir, 'nimbusd.sqlite'))).toBe(true);
    expect(result.hostKeyPath).toBe(join(stateDir, 'ssh_host_ed25519_key'));
    expect(readFileSync(result.hostKeyPath, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(readFileSync(result.hostPublicKeyPath, 'utf8')).toMatch(/^ssh-ed25519 AAAA\S+ nimbusd\n$/);
    expect(result.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(result.hostKeyFingerprint).toBe(sshKeygenFingerprint(result.hostPublicKeyPath));
    expect(result).toMatchObject({ configPath, stateDir, stateDirCreated: true, hostKeyCreated: true });

    const config = loadConfig(configPath);
    expect(config.provider.id).toBe('acme-fra1');
    expect(config.stateDir).toBe(stateDir);
    expect(config.api.hostKeyPath).toBe(result.hostKeyPath);
    expect(checkConfigFiles(config)).toEqual([]);
  });

  it('keeps the host key when run again', () => {
    const options = { configPath: join(dir, 'nimbusd.toml'), stateDir: join(dir, 'state'), providerId: 'acme' };
    const first = initSite(options);
    const keyBefore = readFileSync(first.hostKeyPath, 'utf8');
    const second = initSite({ ...options, force: true });
    expect(second.hostKeyCreated).toBe(false);
    expect(second.stateDirCreated).toBe(false);
    expect(second.hostKeyFingerprint).toBe(first.hostKeyFingerprint);
    expect(readFileSync(second.hostKeyPath, 'utf8')).toBe(keyBefore);
  });

  it('refuses to replace a config without --force, and changes nothing', () => {
    const configPath = join(dir, 'nimbusd.toml');
    writeFileSync(configPath, '# mine\n');
    const stateDir = join(dir, 'state');
    expect(() => initSite({ configPath, stateDir })).toThrow(expect.objectContaining({ code: 'CONFIG_EXISTS' }));
    expect(readFileSync(configPath, 'utf8')).toBe('# mine\n');
    expect(existsSync(stateDir)).toBe(false);
  });

  it('refuses a provider id the schema would refuse', () => {
    expect(() => initSite({ configPath: join(dir, 'c.toml'), stateDir: join(dir, 's'), providerId: 'Acme_1' })).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
  });
});

describe('host key', () => {
  it('refuses a group- or world-readable key, naming the path and the chmod fix', () => {
    const path = join(dir, 'ssh_host_ed25519_key');
    ensureHostKey(path);
    chmodSync(path, 0o644);
    let error: unknown;
    try {
      readHostKey(path);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'BMC_SECRET_FILE' });
    expect((error as Error).message).toContain(`host key ${path} is readable by its group or by others (mode 0644)`);
    expect((error as Error).message).toContain(`chmod 600 ${path}`);
    // init on such a key refuses too, rather than keep serving a leaked key.
    expect(() => ensureHostKey(path)).toThrow(/chmod 600/);
  });

  it('rebuilds a missing .pub from the private key', () => {
    const path = join(dir, 'key');
    const made = ensureHostKey(path);
    rmSync(`${path}.pub`);
    const kept = ensureHostKey(path);
    expect(kept.fingerprint).toBe(made.fingerprint);
    expect(sshKeygenFingerprint(`${path}.pub`)).toBe(made.fingerprint);
  });

  it('refuses a file that is not a private key', () => {
    const path = join(dir, 'key');
    writeFileSync(path, 'not a key\n', { mode: 0o600 });
    expect(() => readHostKey(path)).toThrow(expect.objectContaining({ code: 'HOST_KEY' }));
  });

  it('fingerprints a public key line the way ssh-keygen does', () => {
    const path = join(dir, 'key');
    ensureHostKey(path);
    const line = readFileSync(`${path}.pub`, 'utf8');
    expect(fingerprintOfPublicKeyLine(line)).toBe(sshKeygenFingerprint(`${path}.pub`));
    expect(fingerprintOfPublicKeyLine('garbage')).toBeUndefined();
  });
});

describe('checkConfigFiles', () => {
  it('names a missing host key and a missing authorized_keys file', () => {
    const configPath = join(dir, 'nimbusd.toml');
    writeFileSync(
      configPath,
      `[provider]\nid = "acme"\n[state]\ndir = "${dir}"\n[admins]\nauthorized_keys = "${dir}/admins.pub"\n`,
    );
    expect(checkConfigFiles(loadConfig(configPath))).toEqual([
      `api.host_key: host key ${dir}/ssh_host_ed25519_key cannot be read: ENOENT (\`nimbusd init\` creates one)`,
      `admins.authorized_keys: ${dir}/admins.pub cannot be read: ENOENT`,
    ]);
  });
});

describe('loadConfig', () => {
  it('throws CONFIG_INVALID with every problem as file:line:col', () => {
    const configPath = join(dir, 'nimbusd.toml');
    writeFileSync(configPath, '[provider]\nid = "acme"\nnmae = "x"\n[log]\nlevel = "loud"\n');
    let error: unknown;
    try {
      loadConfig(configPath);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      lines: [
        `${configPath}:3:1: unknown key "nmae" in [provider] (did you mean "name"?)`,
        `${configPath}:5:9: log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"; got "loud"`,
      ],
    });
  });

  it('reports a missing file as a problem that says how to make one', () => {
    expect(() => loadConfig(join(dir, 'none.toml'))).toThrow(/none\.toml:1:1: cannot be read: ENOENT \(create one with `nimbusd init`/);
  });
});

describe('providerIdFromHostname', () => {
  it.each([
    ['Rack-7.example.com', 'rack-7'],
    ['web_01', 'web-01'],
    ['x', 'nimbus'],
    ['-a-', 'nimbus'],
  ])('%s → %s', (name, id) => {
    expect(providerIdFromHostname(name)).toBe(id);
  });
});
