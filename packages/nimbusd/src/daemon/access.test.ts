import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { resolveBoot, type NimbusdConfig } from '../config/config.ts';
import { fingerprintOfPublicKeyLine } from '../config/fingerprint.ts';
import { buildApiAccess, parseAuthorizedKeys } from './access.ts';
import { AuthorizedKeysError } from './errors.ts';

const { utils } = ssh2;
const keyA = utils.generateKeyPairSync('ed25519', { comment: 'a' }).public;
const keyB = utils.generateKeyPairSync('ed25519', { comment: 'b' }).public;
const fpA = fingerprintOfPublicKeyLine(keyA)!;
const fpB = fingerprintOfPublicKeyLine(keyB)!;

function config(overrides: Partial<Pick<NimbusdConfig, 'admins' | 'tenants'>>): NimbusdConfig {
  return {
    file: '/etc/nimbus/nimbusd.toml',
    provider: { id: 't1', images: [] },
    api: { listen: { host: '127.0.0.1', port: 2222 }, hostKeyPath: '/nonexistent' },
    admins: { keys: [] },
    tenants: { policy: 'allowlist', keys: [] },
    stateDir: '/nonexistent',
    metrics: { enabled: false, listen: { host: '127.0.0.1', port: 9464 } },
    machines: { powerSyncSeconds: 30, bmcConcurrency: 16, bmcFailuresBeforeError: 3 },
    boot: resolveBoot({}, '/nonexistent'),
    images: [],
    log: { level: 'silent' },
    ...overrides,
  };
}

describe('parseAuthorizedKeys', () => {
  it('fingerprints every key line, skipping blanks and comments and reading past options', () => {
    const text = `# operators\n\n${keyA}\nfrom="10.0.0.0/8",no-pty ${keyB}\n`;
    expect(parseAuthorizedKeys('/k', text)).toEqual([fpA, fpB]);
  });

  it('names the file and line of a line that is not a key', () => {
    expect(() => parseAuthorizedKeys('/etc/nimbus/admins', `${keyA}\nnot a key\n`)).toThrow(AuthorizedKeysError);
    expect(() => parseAuthorizedKeys('/etc/nimbus/admins', `${keyA}\nnot a key\n`)).toThrow('/etc/nimbus/admins:2: not a public key line');
  });
});

describe('buildApiAccess', () => {
  it('joins inline fingerprints with the authorized_keys files, once each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbusd-access-'));
    try {
      const admins = join(dir, 'admins');
      const tenants = join(dir, 'tenants');
      writeFileSync(admins, `${keyA}\n`);
      writeFileSync(tenants, `${keyB}\n${keyA}\n`);
      const access = buildApiAccess(
        config({ admins: { keys: [fpA], authorizedKeysFile: admins }, tenants: { policy: 'allowlist', keys: [], authorizedKeysFile: tenants } }),
      );
      expect(access).toEqual({ adminKeys: [fpA], tenantPolicy: 'allowlist', tenantKeys: [fpB, fpA] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not read the tenant file under an open policy, and reports an unreadable admin file with its path', () => {
    const open = buildApiAccess(config({ tenants: { policy: 'open', keys: [], authorizedKeysFile: '/nonexistent/tenants' } }));
    expect(open).toEqual({ adminKeys: [], tenantPolicy: 'open', tenantKeys: [] });
    expect(() => buildApiAccess(config({ admins: { keys: [], authorizedKeysFile: '/nonexistent/admins' } }))).toThrow(
      'authorized_keys /nonexistent/admins cannot be read: ENOENT',
    );
  });
});
