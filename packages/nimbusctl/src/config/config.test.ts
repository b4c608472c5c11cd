import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parseConfig, readConfig, writeConfig } from './config.ts';
import { nimbusPaths } from './paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nimbusctl config', () => {
  it('round-trips registries and placement settings through the file', async () => {
    const file = join(dir, 'nimbus', 'config.toml');
    expect(await readConfig(file)).toEqual({ registries: [], placement: { rates: {} } });
    const config = { registries: [{ name: 'public', url: 'https://git.example/registry.git' }, { name: 'lab', url: '/srv/reg.git' }], placement: { currency: 'EUR', rates: { USD: 0.92 } } };
    await writeConfig(file, config);
    expect(await readConfig(file)).toEqual(config);
    expect(readFileSync(file, 'utf8')).toContain('[[registries]]');
  });

  it.each([
    ['registries = [ { name = "x", url = "u" }', /cfg\.toml:1:\d+: /],
    ['colour = "blue"', /cfg\.toml: colour: unknown key/],
    ['[[registries]]\nname = "Bad Name"\nurl = "x"', /registries\[0\]\.name: must be lower-case/],
    ['[[registries]]\nname = "a"\nurl = "x"\n[[registries]]\nname = "a"\nurl = "y"', /registries\[1\]\.name: "a" appears twice/],
    ['[[registries]]\nname = "a"\nurl = "x"\ntoken = "t"', /registries\[0\]\.token: unknown key/],
    ['[placement]\ncurrency = "euro"', /placement\.currency: must be an ISO 4217 code/],
    ['[placement.rates]\nUSD = -1', /placement\.rates\.USD: must be a positive number/],
  ])('rejects %j with a message naming the file and key', (text, message) => {
    expect(() => parseConfig(text, 'cfg.toml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'cfg.toml')).toThrow(message);
  });
});

describe('nimbusPaths', () => {
  it('follows the XDG variables and ignores relative ones', () => {
    const paths = nimbusPaths({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg', XDG_CACHE_HOME: 'relative', XDG_STATE_HOME: '/state' });
    expect(paths).toEqual({
      configFile: '/cfg/nimbus/config.toml',
      registryCacheDir: '/home/u/.cache/nimbus/registry',
      stateDir: '/state/nimbus',
    });
  });
});
