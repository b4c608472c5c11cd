/**
 * A valid provider file of about 60 lines, used by the tests (and to time parsing),
 * with the Provider it must parse to.
 */
import type { Provider } from '../../provider.ts';

export const ACME_TOML = `# Acme's Frankfurt site
schema = 1
id = "acme"
name = "Acme Bare Metal"
description = "Dedicated servers in Frankfurt, billed by the hour."
contact = "ops@acme.example"
owners = ["acme-ops", "Jane-Doe"]
images = ["debian-12", "ubuntu-24.04", "rocky-9"]

[location]
region = "eu-central"
country = "DE"
city = "Frankfurt"
site = "FRA2"

[endpoint]
host = "nimbus.acme.example"
port = 2222
host_key = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"

[tenants]
policy = "allowlist"
signup = "https://acme.example/signup"

[price]
currency = "EUR"
billing = "hour"

[[machines]]
id = "c2-medium"
count = 12
arch = "x86_64"
price_per_hour = 0.42
memory_gib = 128
tags = ["ecc", "ipv6"]
cpu = { model = "AMD EPYC 7402P", sockets = 1, cores = 24, threads = 48, base_ghz = 2.8 }
disks = [{ type = "nvme", size_gb = 960, count = 2 }]
nics = [{ speed_gbps = 25, count = 2 }]

[[machines]]
id = "g1-large"
arch = "x86_64"
price_per_hour = 3.5
memory_gib = 512

[machines.cpu]
model = "Intel Xeon Gold 6338"
sockets = 2
cores = 64
threads = 128

[[machines.disks]]
type = "ssd"
size_gb = 3840

[[machines.gpus]]
model = "NVIDIA A100 PCIe"
memory_gib = 80
count = 4

[[machines.nics]]
speed_gbps = 100
`;

export const ACME: Provider = {
  schema: 1,
  id: 'acme',
  name: 'Acme Bare Metal',
  description: 'Dedicated servers in Frankfurt, billed by the hour.',
  contact: 'ops@acme.example',
  owners: ['acme-ops', 'Jane-Doe'],
  images: ['debian-12', 'ubuntu-24.04', 'rocky-9'],
  location: { region: 'eu-central', country: 'DE', city: 'Frankfurt', site: 'FRA2' },
  endpoint: { host: 'nimbus.acme.example', port: 2222, host_key: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s' },
  tenants: { policy: 'allowlist', signup: 'https://acme.example/signup' },
  price: { currency: 'EUR', billing: 'hour' },
  machines: [
    {
      id: 'c2-medium',
      count: 12,
      arch: 'x86_64',
      price_per_hour: 0.42,
      memory_gib: 128,
      tags: ['ecc', 'ipv6'],
      cpu: { model: 'AMD EPYC 7402P', sockets: 1, cores: 24, threads: 48, base_ghz: 2.8 },
      disks: [{ type: 'nvme', size_gb: 960, count: 2 }],
      nics: [{ speed_gbps: 25, count: 2 }],
    },
    {
      id: 'g1-large',
      arch: 'x86_64',
      price_per_hour: 3.5,
      memory_gib: 512,
      cpu: { model: 'Intel Xeon Gold 6338', sockets: 2, cores: 64, threads: 128 },
      disks: [{ type: 'ssd', size_gb: 3840 }],
      gpus: [{ model: 'NVIDIA A100 PCIe', memory_gib: 80, count: 4 }],
      nics: [{ speed_gbps: 100 }],
    },
  ],
};

/** The text as a provider source at `path`. */
export function source(text: string, path = 'providers/acme.toml'): { path: string; bytes: Uint8Array } {
  return { path, bytes: new TextEncoder().encode(text) };
}
