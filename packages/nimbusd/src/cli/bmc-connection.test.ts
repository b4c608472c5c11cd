import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bmcConfigFrom, PASSWORD_ENV, type BmcConnectionSettings } from './bmc-connection.ts';
import { BmcSettingsError, SecretFileError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'nimbusd-bmc-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const ipmi: BmcConnectionSettings = { driver: 'ipmi', host: '10.0.0.5', user: 'admin' };

function problemsOf(settings: BmcConnectionSettings, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    bmcConfigFrom(settings, env);
  } catch (err) {
    if (err instanceof BmcSettingsError) return err.lines;
    throw err;
  }
  return [];
}

describe('bmcConfigFrom', () => {
  it('reads the password from a private file, dropping one trailing newline', () => {
    const config = bmcConfigFrom({ ...ipmi, passwordFile: file('pw', 'se cret\n', 0o600), cipherSuite: 3 }, { [PASSWORD_ENV]: 'env-pw' });
    expect(config).toEqual({ driver: 'ipmi', host: '10.0.0.5', username: 'admin', password: 'se cret', cipherSuite: 3 });
  });

  it('falls back to the environment variable', () => {
    expect(bmcConfigFrom(ipmi, { [PASSWORD_ENV]: 'env-pw' }).password).toBe('env-pw');
  });

  it.each([0o644, 0o640, 0o604])('refuses a password file with mode %o, without reading it into the message', (mode) => {
    const path = file(`open-${mode}`, 'leaked-pw', mode);
    expect(() => bmcConfigFrom({ ...ipmi, passwordFile: path }, {})).toThrow(SecretFileError);
    expect(() => bmcConfigFrom({ ...ipmi, passwordFile: path }, {})).toThrow(/readable by its group or by others/);
  });

  it('says a missing password file is missing', () => {
    expect(() => bmcConfigFrom({ ...ipmi, passwordFile: join(dir, 'nope') }, {})).toThrow('--password-file ' + join(dir, 'nope') + ' cannot be read: ENOENT');
  });

  it('names the flag of every problem, the driver-only ones included', () => {
    expect(problemsOf({ ...ipmi, user: 'x'.repeat(17), tlsFingerprint: 'ab' })).toEqual([
      'the password (--password-file or NIMBUS_BMC_PASSWORD) is required',
      '--tls-fingerprint is a Redfish setting; the IPMI driver does not use it',
      "--user is longer than IPMI's 16 bytes",
    ]);
    expect(problemsOf({ driver: 'redfish', host: 'https://bmc/', user: 'root', cipherSuite: 17 }, { [PASSWORD_ENV]: 'pw' })).toEqual([
      '--cipher-suite is an IPMI setting; the Redfish driver does not use it',
      '--host must be a host name or address without scheme or path, got "https://bmc/"',
    ]);
  });
});
