import { describe, expect, it } from 'vitest';
import { MAX_PROVIDER_FILE_BYTES, parseProviderFile } from './parse-provider-file.ts';
import { formatProblem } from './problem.ts';
import { ACME, ACME_TOML, source } from './testdata/acme.ts';
import { edit, MINIMAL_TOML } from './testdata/minimal.ts';

/** Each problem as `line:col code message`, so a test checks all three at once. */
function problemsOf(text: string, path = 'providers/acme.toml'): string[] {
  return parseProviderFile(source(text, path)).problems.map((p) => `${p.line}:${p.col} ${p.code} ${p.message}`);
}

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
}

describe('parseProviderFile: valid files', () => {
  it('turns a valid file into its Provider', () => {
    const parsed = parseProviderFile(source(ACME_TOML));
    expect(parsed.problems).toEqual([]);
    expect(parsed.provider).toEqual(ACME);
    expect(parsed.path).toBe('providers/acme.toml');
  });

  it('accepts the minimal file, a UTF-8 BOM and CRLF line ends', () => {
    expect(parseProviderFile(source(MINIMAL_TOML)).provider?.id).toBe('acme');
    const withBom = bytesOf([0xef, 0xbb, 0xbf], MINIMAL_TOML.replaceAll('\n', '\r\n'));
    expect(parseProviderFile({ path: 'providers/acme.toml', bytes: withBom }).problems).toEqual([]);
  });
});

describe('parseProviderFile: the file itself', () => {
  it.each(['../x.toml', 'providers/sub/x.toml', '/etc/x.toml'])('refuses %s as outside providers/', (path) => {
    const parsed = parseProviderFile(source(MINIMAL_TOML, path));
    expect(parsed.provider).toBeUndefined();
    expect(parsed.problems).toMatchObject([{ file: path, line: 1, col: 1, code: 'outside-providers' }]);
  });

  it('refuses a symlink without looking at its bytes', () => {
    const parsed = parseProviderFile({ ...source(MINIMAL_TOML), kind: 'symlink' });
    expect(parsed.provider).toBeUndefined();
    expect(problemsOfParsed(parsed)).toEqual(['1:1 symlink']);
  });

  it('refuses something that is not a regular file', () => {
    expect(problemsOfParsed(parseProviderFile({ ...source(''), kind: 'other' }))).toEqual(['1:1 not-a-file']);
  });

  it('refuses a file of 1 MiB + 1 byte unparsed, and takes one of exactly 1 MiB', () => {
    const padding = (n: number): string => `#${'x'.repeat(n - MINIMAL_TOML.length - 2)}\n`;
    const big = MINIMAL_TOML + padding(MAX_PROVIDER_FILE_BYTES + 1);
    expect(big.length).toBe(MAX_PROVIDER_FILE_BYTES + 1);
    expect(problemsOf(big)).toEqual([`1:1 too-large is ${MAX_PROVIDER_FILE_BYTES + 1} bytes; a provider file may be at most 1048576 bytes (1 MiB)`]);
    const unread = parseProviderFile({ path: 'providers/acme.toml', bytes: new Uint8Array(0), size: 5 * 2 ** 30 });
    expect(unread.problems).toMatchObject([{ line: 1, col: 1, code: 'too-large', message: 'is 5368709120 bytes; a provider file may be at most 1048576 bytes (1 MiB)' }]);
    const limit = MINIMAL_TOML + padding(MAX_PROVIDER_FILE_BYTES);
    expect(parseProviderFile(source(limit)).problems).toEqual([]);
  });

  it('reports bytes that are not UTF-8 at their line and column (line 3)', () => {
    const bytes = bytesOf('schema = 1\nid = "acme"\nname = "Café ', [0xe9], '"\n');
    const parsed = parseProviderFile({ path: 'providers/acme.toml', bytes });
    expect(parsed.problems).toEqual([
      {
        file: 'providers/acme.toml',
        line: 3,
        col: 14,
        code: 'not-utf8',
        message: 'invalid UTF-8 (byte 0xe9); provider files must be UTF-8 text',
      },
    ]);
  });
});

describe('parseProviderFile: schema version', () => {
  it('says once that a file for a newer schema needs a newer nimbusctl, instead of listing every difference', () => {
    const newer = edit(MINIMAL_TOML, ['schema = 1', 'schema = 2'], ['memory_gib = 64', 'memory = "64 GiB"']);
    expect(problemsOf(newer)).toEqual([
      '1:10 schema schema = 2 is newer than this nimbusctl understands (schema 1); upgrade nimbusctl to read this file',
    ]);
  });

  it('judges schema = 0 by this schema', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['schema = 1', 'schema = 0']))).toEqual([expect.stringMatching(/^1:10 schema schema: must be 1/)]);
  });
});

describe('parseProviderFile: TOML syntax', () => {
  it('reports the first syntax error with its position and a readable message', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['port = 2222', 'port = 22 22']))).toEqual([
      '11:11 toml-syntax TOML syntax error: each key-value declaration must be followed by an end-of-line',
    ]);
  });

  it('reports a key defined twice', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['name = "Acme"', 'name = "Acme"\nname = "B"']))).toEqual([
      '4:1 toml-syntax TOML syntax error: trying to redefine an already defined table or value',
    ]);
  });

  it('reports an unterminated string where the line ends', () => {
    expect(problemsOf('schema = 1\nid = "acme\n')).toEqual([
      '2:11 toml-syntax TOML syntax error: control characters are not allowed in strings',
    ]);
  });
});

describe('parseProviderFile: schema', () => {
  it('reports an unknown key at the key, suggesting the closest known key', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['memory_gib = 64', 'memory_gib = 64\n  memory_gb = 64']))).toEqual([
      '22:3 unknown-key unknown key "memory_gb" in machines[0] (did you mean "memory_gib"?)',
    ]);
  });

  it('reports an unknown key without a suggestion when none is close', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['memory_gib = 64', 'memory_gib = 64\ncpu_cores = 4']))).toEqual([
      '22:1 unknown-key unknown key "cpu_cores" in machines[0]',
    ]);
  });

  it('reports missing keys of a table at its header, all in one problem', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['port = 2222\n', ''], ['host = "nimbus.acme.example"\n', '']))).toEqual([
      '9:1 schema missing keys "host", "port" in [endpoint]',
    ]);
  });

  it('reports missing top-level keys at 1:1', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['contact = "ops@acme.example"\n', '']))).toEqual([
      '1:1 schema missing key "contact" in the top-level table',
    ]);
  });

  it('lists the allowed values of an enum', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['policy = "open"', 'policy = "closed"']))).toEqual([
      '14:10 schema tenants.policy: must be one of "open", "allowlist"; got "closed"',
    ]);
  });

  it('says in words what a pattern wants', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['country = "DE"', 'country = "Germany"']))).toEqual([
      '8:11 schema location.country: "Germany" is not valid here; expected an ISO 3166-1 alpha-2 country code in upper case, e.g. DE',
    ]);
  });

  it('names the expected and the found type', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['port = 2222', 'port = "2222"']))).toEqual([
      '11:8 schema endpoint.port: expected an integer, got the string "2222"',
    ]);
  });

  it('calls a date where a table belongs a type error, once', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['[location]\nregion = "eu-central"\ncountry = "DE"', 'location = 2024-01-01']))).toEqual([
      '6:12 schema location: expected a table, got a date or time',
    ]);
  });

  it('points at the later of two equal entries', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['images = ["debian-12"]', 'images = ["debian-12", "rocky-9", "debian-12"]']))).toEqual([
      '5:35 schema images[2]: "debian-12" is already listed as images[0]; entries must be unique',
    ]);
  });

  it('reports three errors as three problems in source order', () => {
    const text = edit(
      MINIMAL_TOML,
      ['arch = "x86_64"', 'arch = "riscv"'],
      ['name = "Acme"', 'name = ""'],
      ['region = "eu-central"', 'region = "Europe"'],
    );
    expect(problemsOf(text)).toEqual([
      '3:8 schema name: must not be empty',
      '7:10 schema location.region: "Europe" is not valid here; expected a continent code, a dash and an area in lower case, e.g. eu-central, us-west, ap-southeast',
      '19:8 schema machines[0].arch: must be one of "x86_64", "arm64"; got "riscv"',
    ]);
  });
});

describe('parseProviderFile: order', () => {
  it('sorts problems by position, not in the order the schema lists the keys', () => {
    const text =
      edit(MINIMAL_TOML, ['[location]\nregion = "eu-central"\ncountry = "DE"\n', ''], ['arch = "x86_64"', 'arch = "sparc"']) +
      '[location]\nregion = "eu-central"\ncountry = "de"\n';
    expect(problemsOf(text).map((p) => p.split(' ').slice(0, 3).join(' '))).toEqual([
      '16:8 schema machines[0].arch:',
      '24:11 schema location.country:',
    ]);
  });
});

describe('parseProviderFile: numbers out of range', () => {
  it('reports a number below the minimum in the second machine, in a [machines.cpu] table', () => {
    const second = '[[machines]]\nid = "m2"\narch = "arm64"\nprice_per_hour = 2\nmemory_gib = 32\ndisks = [{ type = "ssd", size_gb = 1 }]\nnics = [{ speed_gbps = 1 }]\n[machines.cpu]\nmodel = "Ampere"\ncores = 0\nthreads = 1\n';
    expect(problemsOf(MINIMAL_TOML + second)).toEqual(['34:9 out-of-range machines[1].cpu.cores: 0 is below the minimum 1']);
  });

  it('reports a number above the maximum inside an inline table', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['size_gb = 512', 'size_gb = 2000000']))).toEqual([
      '23:37 out-of-range machines[0].disks[0].size_gb: 2000000 is above the maximum 1000000',
    ]);
  });

  it('reports an integer too large for a JavaScript number (a BigInt) at the value', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['port = 2222', 'port = 9223372036854775807']))).toEqual([
      '11:8 out-of-range endpoint.port: 9223372036854775807 is above the maximum 65535',
    ]);
  });

  it.each([
    ['inf', 'machines[0].price_per_hour: expected a finite number, got inf'],
    ['nan', 'machines[0].price_per_hour: expected a finite number, got nan'],
    ['1e999', 'machines[0].price_per_hour: expected a finite number, got inf'],
  ])('reports the non-finite float %s where a number belongs', (literal, message) => {
    expect(problemsOf(edit(MINIMAL_TOML, ['price_per_hour = 1.5', `price_per_hour = ${literal}`]))).toEqual([
      `20:18 out-of-range ${message}`,
    ]);
  });

  it('reports an exclusive minimum', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['speed_gbps = 10', 'speed_gbps = 0']))).toEqual([
      '24:24 out-of-range machines[0].nics[0].speed_gbps: must be greater than 0, got 0',
    ]);
  });
});

describe('parseProviderFile: rules beyond the schema', () => {
  it('reports an id that differs from the file name at the id value', () => {
    expect(problemsOf(MINIMAL_TOML, 'providers/acme-eu.toml')).toEqual([
      '2:6 id-mismatch id: "acme" does not match the file name providers/acme-eu.toml; the id must be "acme-eu" or the file renamed',
    ]);
  });

  it('reports a repeated machine class id at the second one, naming the line of the first', () => {
    const again = MINIMAL_TOML.slice(MINIMAL_TOML.indexOf('[[machines]]'));
    expect(problemsOf(MINIMAL_TOML + again)).toEqual([
      '26:6 duplicate-machine machines[1].id: machine class id "m1" is already used by machines[0] on line 18; machine class ids must be unique within a provider',
    ]);
  });

  it('reports fewer threads than cores', () => {
    expect(problemsOf(edit(MINIMAL_TOML, ['threads = 16', 'threads = 4']))).toEqual([
      '22:46 inconsistent machines[0].cpu.threads: 4 threads is fewer than the 8 cores; threads counts hardware threads of all sockets, at least one per core',
    ]);
  });
});

describe('parseProviderFile: positions', () => {
  it('follows dotted keys', () => {
    const text = edit(MINIMAL_TOML, ['[location]\nregion = "eu-central"\ncountry = "DE"\n', ''], ['name = "Acme"', 'name = "Acme"\nlocation.region = "eu-central"\nlocation.country = "de"']);
    expect(problemsOf(text)).toEqual([
      '5:20 schema location.country: "de" is not valid here; expected an ISO 3166-1 alpha-2 country code in upper case, e.g. DE',
    ]);
  });

  it('follows a second [[machines.disks]] table', () => {
    const text = edit(MINIMAL_TOML, ['disks = [{ type = "nvme", size_gb = 512 }]\n', ''])
      + '[[machines.disks]]\ntype = "nvme"\nsize_gb = 1\n[[machines.disks]]\ntype = "tape"\nsize_gb = 1\n';
    expect(problemsOf(text)).toEqual([
      '28:8 schema machines[0].disks[1].type: must be one of "nvme", "ssd", "hdd"; got "tape"',
    ]);
  });

  it('formats a problem as file:line:col: message', () => {
    const [problem] = parseProviderFile(source(edit(MINIMAL_TOML, ['policy = "open"', 'policy = 1']))).problems;
    expect(problem && formatProblem(problem)).toBe('providers/acme.toml:14:10: tenants.policy: must be one of "open", "allowlist"; got 1');
  });
});

function problemsOfParsed(parsed: { problems: { line: number; col: number; code: string }[] }): string[] {
  return parsed.problems.map((p) => `${p.line}:${p.col} ${p.code}`);
}
