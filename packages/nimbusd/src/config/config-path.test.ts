import { describe, expect, it } from 'vitest';
import { resolveConfigPath } from './config-path.ts';

describe('resolveConfigPath', () => {
  it('prefers --config, then NIMBUSD_CONFIG, then /etc/nimbus/nimbusd.toml', () => {
    expect(resolveConfigPath('/a.toml', { NIMBUSD_CONFIG: '/b.toml' })).toBe('/a.toml');
    expect(resolveConfigPath(undefined, { NIMBUSD_CONFIG: '/b.toml' })).toBe('/b.toml');
    expect(resolveConfigPath(undefined, { NIMBUSD_CONFIG: '' })).toBe('/etc/nimbus/nimbusd.toml');
    expect(resolveConfigPath(undefined, {})).toBe('/etc/nimbus/nimbusd.toml');
  });
});
