import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblem } from '@nimbus/core';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from './parse-config.ts';
import { renderInitialConfig } from './render-config.ts';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/nimbusd.toml', import.meta.url));

function problemLines(text: string): string[] {
  const parsed = parseConfig('nimbusd.toml', text);
  return parsed.ok ? [] : parsed.problems.map(formatProblem);
}

describe('parseConfig', () => {
  it('accepts examples/nimbusd.toml', () => {
    const parsed = parseConfig(EXAMPLE, readFileSync(EXAMPLE));
    expect(parsed.problems.map(formatProblem)).toEqual([]);
    expect(parsed.ok && parsed.config.provider.id).toBe('acme-fra1');
  });

  it('accepts the config `nimbusd init` writes', () => {
    const text = renderInitialConfig({ providerId: 'site-1', stateDir: '/srv/nimbus', hostKeyPath: '/srv/nimbus/key' });
    const parsed = parseConfig('nimbusd.toml', text);
    expect(parsed.problems.map(formatProblem)).toEqual([]);
    expect(parsed.ok && parsed.config.stateDir).toBe('/srv/nimbus');
  });

  it('fills in every default from a config with only the provider id', () => {
    const parsed = parseConfig('/etc/nimbus/nimbusd.toml', '[provider]\nid = "acme"\n');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config).toEqual({
      file: '/etc/nimbus/nimbusd.toml',
      provider: { id: 'acme', images: [] },
      api: { listen: { host: '0.0.0.0', port: 2222 }, hostKeyPath: '/var/lib/nimbus/ssh_host_ed25519_key' },
      admins: { keys: [] },
      tenants: { policy: 'allowlist', keys: [] },
      stateDir: '/var/lib/nimbus',
      metrics: { enabled: true, listen: { host: '127.0.0.1', port: 9464 } },
      machines: { powerSyncSeconds: 30, bmcConcurrency: 16, bmcFailuresBeforeError: 3 },
      boot: {
        enabled: false,
        address: '',
        dhcpMode: 'proxy',
          httpPort: 8080,
        tftpPort: 69,
        dhcpPort: 67,
        ipxeDir: '/usr/lib/ipxe',
        ramdiskDir: '/var/lib/nimbus/ramdisk',
        pxeTimeoutSeconds: 300,
        imageTimeoutSeconds: 3600,
        sshTimeoutSeconds: 600,
      },
      images: [],
      log: { level: 'info' },
    });
  });

  it('puts the host key in the state dir unless api.host_key says otherwise', () => {
    const parsed = parseConfig('c.toml', '[provider]\nid = "acme"\n[state]\ndir = "/data/nimbus"\n[api]\nlisten = "[::]:22"\n');
    expect(parsed.ok && parsed.config.api).toEqual({ listen: { host: '::', port: 22 }, hostKeyPath: '/data/nimbus/ssh_host_ed25519_key' });
  });

  it('reports every problem with its line and column', () => {
    const text = [
      '[provider]', //                 1
      'id = "Acme"', //                2
      '[api]', //                      3
      'listen = "2222"', //            4
      'host_key = "keys/host"', //     5
      '[tenants]', //                  6
      'policy = "closed"', //          7
      'keys = ["SHA256:abc"]', //      8
      '[log]', //                      9
      'level = 3', //                  10
    ].join('\n');
    expect(problemLines(text)).toEqual([
      'nimbusd.toml:2:6: provider.id: "Acme" is not valid here; expected 2 to 63 lower-case letters, digits and dashes, not starting or ending with a dash',
      'nimbusd.toml:4:10: api.listen: "2222" is not valid here; expected host:port, e.g. 0.0.0.0:2222 or [::]:2222',
      'nimbusd.toml:5:12: api.host_key: "keys/host" is not valid here; expected an absolute path, starting with /',
      'nimbusd.toml:7:10: tenants.policy: must be one of "open", "allowlist"; got "closed"',
      'nimbusd.toml:8:9: tenants.keys[0]: "SHA256:abc" is not valid here; expected SHA256: and 43 base64 characters, as `ssh-keygen -lf` prints the host key',
      'nimbusd.toml:10:9: log.level: expected a string, got the integer 3',
    ]);
  });

  it('names an unknown key, where it is, and the key that was meant', () => {
    expect(problemLines('[provider]\nid = "acme"\n\n[metrics]\nlisen = "127.0.0.1:9000"\n')).toEqual([
      'nimbusd.toml:5:1: unknown key "lisen" in [metrics] (did you mean "listen"?)',
    ]);
    expect(problemLines('[provider]\nid = "acme"\n[[classes]]\nid = "m1"\n')).toEqual([
      'nimbusd.toml:3:3: unknown key "classes" in the top-level table',
    ]);
    expect(problemLines('[provider]\nid = "acme"\n[machines]\npower_sync_seconds = 1\n')).toEqual([
      'nimbusd.toml:4:22: machines.power_sync_seconds: 1 is below the minimum 5',
    ]);
  });

  it('requires the provider table', () => {
    expect(problemLines('[log]\nlevel = "info"\n')).toEqual(['nimbusd.toml:1:1: missing key "provider" in the top-level table']);
  });

  it('reports a TOML syntax error at its position', () => {
    const parsed = parseConfig('nimbusd.toml', '[provider]\nid = acme\n');
    expect(parsed.problems).toMatchObject([{ line: 2, code: 'toml-syntax' }]);
  });

  it('refuses a port outside 1..65535', () => {
    expect(problemLines('[provider]\nid = "acme"\n[api]\nlisten = "0.0.0.0:70000"\n')).toEqual([
      'nimbusd.toml:4:10: api.listen: "0.0.0.0:70000" has no port from 1 to 65535',
    ]);
  });

  it('refuses the SSH API and /metrics on one port', () => {
    expect(problemLines('[provider]\nid = "acme"\n[metrics]\nlisten = "127.0.0.1:2222"\n')).toEqual([
      'nimbusd.toml:4:10: metrics.listen: the SSH API (0.0.0.0:2222) and /metrics (127.0.0.1:2222) cannot share port 2222',
    ]);
    expect(problemLines('[provider]\nid = "acme"\n[metrics]\nenabled = false\nlisten = "127.0.0.1:2222"\n')).toEqual([]);
  });
});

describe('the boot service and image catalog settings', () => {
  const lines = (text: string): string[] => {
    const parsed = parseConfig('nimbusd.toml', text);
    return parsed.ok ? [] : formatProblems(parsed.problems);
  };

  it('fills in the boot defaults and reads the catalog, compression from the file name', () => {
    const parsed = parseConfig(
      'nimbusd.toml',
      `[provider]\nid = "acme"\n[state]\ndir = "/srv/nimbus"\n[boot]\nenabled = true\naddress = "10.77.0.1"\n[[images]]\nname = "tiny"\nfile = "/srv/tiny.raw.zst"\nsha256 = "${'a'.repeat(64)}"\n`,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.boot).toMatchObject({ enabled: true, address: '10.77.0.1', dhcpMode: 'proxy', httpPort: 8080, ramdiskDir: '/srv/nimbus/ramdisk', pxeTimeoutSeconds: 300 });
    expect(parsed.config.images).toEqual([{ name: 'tiny', file: '/srv/tiny.raw.zst', format: 'raw', compression: 'zstd', sha256: 'a'.repeat(64), sshUser: 'root' }]);
  });

  it('says what an enabled boot service lacks, and where', () => {
    expect(lines('[provider]\nid = "acme"\n[boot]\nenabled = true\ndhcp_mode = "full"\n')).toEqual([
      'nimbusd.toml:4:11: boot.address is required when boot.enabled: the provisioning-network IPv4 address of this host',
      'nimbusd.toml:5:13: boot.dhcp_mode = "full" needs a [boot.pool] (start, end, netmask) to lease addresses from',
    ]);
    expect(lines('[provider]\nid = "acme"\n[boot]\naddress = "10.0.0.300"\n')).toEqual([
      'nimbusd.toml:4:11: boot.address: "10.0.0.300" is not valid here; expected an IPv4 address, e.g. 10.0.0.1',
    ]);
  });

  it('refuses two images of one name and a sha256 that is not one', () => {
    const image = (name: string, sha: string): string => `[[images]]\nname = "${name}"\nfile = "/srv/${name}.raw"\nsha256 = "${sha}"\n`;
    expect(lines(`[provider]\nid = "acme"\n${image('tiny', 'a'.repeat(64))}${image('tiny', 'b'.repeat(64))}`)).toEqual([
      'nimbusd.toml:8:8: images[1]: a second image named "tiny"',
    ]);
    expect(lines(`[provider]\nid = "acme"\n${image('tiny', 'ABC')}`)[0]).toMatch(/images\[0\]\.sha256: .*64 lower-case hex digits/);
  });
});
