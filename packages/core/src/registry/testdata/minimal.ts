/**
 * The smallest valid provider file, one key per line so tests can name exact lines,
 * and a helper to change one line of it.
 */
export const MINIMAL_TOML = [
  'schema = 1', // 1
  'id = "acme"', // 2
  'name = "Acme"', // 3
  'contact = "ops@acme.example"', // 4
  'images = ["debian-12"]', // 5
  '[location]', // 6
  'region = "eu-central"', // 7
  'country = "DE"', // 8
  '[endpoint]', // 9
  'host = "nimbus.acme.example"', // 10
  'port = 2222', // 11
  'host_key = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"', // 12
  '[tenants]', // 13
  'policy = "open"', // 14
  '[price]', // 15
  'currency = "EUR"', // 16
  '[[machines]]', // 17
  'id = "m1"', // 18
  'arch = "x86_64"', // 19
  'price_per_hour = 1.5', // 20
  'memory_gib = 64', // 21
  'cpu = { model = "EPYC", cores = 8, threads = 16 }', // 22
  'disks = [{ type = "nvme", size_gb = 512 }]', // 23
  'nics = [{ speed_gbps = 10 }]', // 24
  '',
].join('\n');

/** MINIMAL_TOML with each `[from, to]` replaced once; throws if `from` is not there, so a test cannot go stale. */
export function edit(text: string, ...replacements: [string, string][]): string {
  let out = text;
  for (const [from, to] of replacements) {
    if (!out.includes(from)) throw new Error(`test text has no ${JSON.stringify(from)}`);
    out = out.replace(from, to);
  }
  return out;
}
