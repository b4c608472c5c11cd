/**
 * The config `nimbusd init` writes: only what it knows, the rest as commented keys
 * with their defaults, so the file documents itself.
 */
import { DEFAULT_API_LISTEN, DEFAULT_METRICS_LISTEN } from './defaults.ts';

export interface InitialConfig {
  providerId: string;
  stateDir: string;
  hostKeyPath: string;
}

export function renderInitialConfig(c: InitialConfig): string {
  const str = (s: string): string => JSON.stringify(s);
  return `# nimbusd configuration; every key is described in nimbusd.schema.json.
# Check it with \`nimbusd check-config\`.

[provider]
id = ${str(c.providerId)}
# The registry file (\`nimbusd registry export\`) also needs these:
# name = "Example Bare Metal"
# contact = "ops@example.com"
# region = "eu-central"
# country = "DE"
# city = "Frankfurt"
# currency = "EUR"
# images = ["debian-12"]

[api]
listen = ${str(DEFAULT_API_LISTEN)}
# The host:port users connect to, for the registry's endpoint:
# advertise = "nimbus.example.com:2222"
host_key = ${str(c.hostKeyPath)}

[admins]
# SHA-256 fingerprints of the operators' keys (ssh-keygen -lf ~/.ssh/id_ed25519.pub):
keys = []

[tenants]
# open: any SSH key may create instances; allowlist: only the keys listed here.
policy = "allowlist"
keys = []

[state]
dir = ${str(c.stateDir)}

[metrics]
listen = ${str(DEFAULT_METRICS_LISTEN)}

[log]
level = "info"

# The network boot service that deploys images (DHCP, TFTP, HTTP); see examples/nimbusd.toml.
# [boot]
#   enabled = true
#   address = "10.77.0.1"        # this host on the provisioning network
#   dhcp_mode = "proxy"          # or "full", with pool = { start = "…", end = "…", netmask = "…" }
#   ramdisk_dir = ${str(`${c.stateDir}/ramdisk`)}   # from scripts/build-ramdisk

# [[images]]
#   name = "nimbus-tiny"
#   file = ${str(`${c.stateDir}/images/nimbus-tiny.raw.zst`)}
#   sha256 = "…"                 # sha256sum of the file as served
`;
}
