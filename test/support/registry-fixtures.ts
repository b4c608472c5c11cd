import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A valid provider file for tests; `extra` lines go at the end of the first machine class. */
export function providerToml(id: string, opts: { region?: string; cores?: number; price?: number; extra?: string } = {}): string {
  return `schema = 1
id = "${id}"
name = "Provider ${id}"
contact = "ops@${id}.example"
owners = ["${id}-admin"]
images = ["debian-12", "nimbus-demo"]

[location]
region = "${opts.region ?? 'eu-central'}"
country = "DE"

[endpoint]
host = "nimbus.${id}.example"
port = 2222
host_key = "SHA256:${'A'.repeat(43)}"

[tenants]
policy = "open"

[price]
currency = "EUR"

[[machines]]
id = "standard"
count = 4
arch = "x86_64"
price_per_hour = ${opts.price ?? 0.5}
memory_gib = 64
${opts.extra ?? ''}
[machines.cpu]
model = "AMD EPYC 7313P"
cores = ${opts.cores ?? 16}
threads = ${(opts.cores ?? 16) * 2}

[[machines.disks]]
type = "nvme"
size_gb = 960

[[machines.nics]]
speed_gbps = 10
`;
}

/**
 * A provider file whose endpoint is a real nimbusd (host, port, host key), offering one image
 * on one machine class: what the end-to-end tests and benchmarks list in their registries.
 */
export function siteProviderToml(
  id: string,
  o: { host: string; port: number; hostKey: string; image: string; classId?: string; price?: number; region?: string; allowlistSignup?: string },
): string {
  return providerToml(id, { price: o.price ?? 0.5, region: o.region ?? 'eu-central' })
    .replace(/images = \[.*\]/, `images = ["${o.image}"]`)
    .replace(/host = ".*"\nport = 2222\nhost_key = ".*"/, `host = "${o.host}"\nport = ${o.port}\nhost_key = "${o.hostKey}"`)
    .replace('policy = "open"', o.allowlistSignup === undefined ? 'policy = "open"' : `policy = "allowlist"\nsignup = "${o.allowlistSignup}"`)
    .replace('id = "standard"', `id = "${o.classId ?? 'default'}"`);
}

const GIT_IDENTITY = ['-c', 'user.name=Nimbus Test', '-c', 'user.email=test@nimbus.example', '-c', 'commit.gpgsign=false'];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...GIT_IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A bare "remote" registry plus a working clone that tests edit and push from. */
export class TestRegistryRemote {
  readonly root = mkdtempSync(join(tmpdir(), 'nimbus-registry-'));
  readonly bare = join(this.root, 'remote.git');
  readonly work = join(this.root, 'work');

  constructor(files: Record<string, string>) {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.bare]);
    execFileSync('git', ['init', '-q', '-b', 'main', this.work]);
    git(this.work, 'remote', 'add', 'origin', this.bare);
    this.commit(files, 'initial providers');
  }

  /** Writes (string) or deletes (null) files, commits and pushes. */
  commit(files: Record<string, string | null>, message = 'update providers'): string {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.work, path);
      if (content === null) {
        rmSync(full, { force: true });
      } else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '-m', message);
    git(this.work, 'push', '-q', 'origin', 'main');
    return git(this.work, 'rev-parse', 'HEAD').trim();
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
