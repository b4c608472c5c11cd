/**
 * Looks for known secrets in logs and reports where (file and line) and which secret by
 * name, never the secret itself: the report of a leak must not leak it again. A secret
 * is found as written, in base64 at any byte alignment (an HTTP Basic header, a dumped
 * buffer) and in hex.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedSecret } from './test-secrets.ts';

export type SecretEncoding = 'plain' | 'base64' | 'hex';

/** Where a secret was found. `secret` is its name. */
export interface SecretFinding {
  file: string;
  line: number;
  secret: string;
  encoding: SecretEncoding;
}

interface Needle {
  secret: string;
  encoding: SecretEncoding;
  bytes: Buffer;
}

/** Shorter than this, a secret's base64 fragments are too short to mean anything. */
const MIN_BASE64_SECRET_BYTES = 9;

/**
 * The base64 characters that depend only on the secret's bytes, whatever came before it:
 * for each of the three alignments, the encoding of the secret after `k` filler bytes,
 * without the characters that mix in filler or what follows.
 */
function base64Fragments(secret: Buffer): string[] {
  const fragments = new Set<string>();
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), secret]).toString('base64');
    const fragment = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + secret.length)) / 6));
    fragments.add(fragment);
    fragments.add(fragment.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...fragments];
}

function needlesOf(secrets: readonly NamedSecret[]): Needle[] {
  return secrets.flatMap(({ name, value }) => {
    const bytes = Buffer.from(value, 'utf8');
    const needles: Needle[] = [
      { secret: name, encoding: 'plain', bytes },
      { secret: name, encoding: 'hex', bytes: Buffer.from(bytes.toString('hex')) },
    ];
    if (bytes.length >= MIN_BASE64_SECRET_BYTES) {
      for (const fragment of base64Fragments(bytes)) needles.push({ secret: name, encoding: 'base64', bytes: Buffer.from(fragment) });
    }
    return needles;
  });
}

/** 1-based line of byte `offset` in `data`. */
function lineAt(data: Buffer, offset: number): number {
  let line = 1;
  for (let at = data.indexOf(0x0a); at !== -1 && at < offset; at = data.indexOf(0x0a, at + 1)) line += 1;
  return line;
}

/** Every place in `data` (named `file` in findings) where one of `secrets` occurs, once per line and secret. */
export function scanBuffer(data: Buffer, file: string, secrets: readonly NamedSecret[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const seen = new Set<string>();
  for (const needle of needlesOf(secrets)) {
    for (let at = data.indexOf(needle.bytes); at !== -1; at = data.indexOf(needle.bytes, at + 1)) {
      const line = lineAt(data, at);
      const key = `${line}\0${needle.secret}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({ file, line, secret: needle.secret, encoding: needle.encoding });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.secret.localeCompare(b.secret));
}

export function scanText(text: string, source: string, secrets: readonly NamedSecret[]): SecretFinding[] {
  return scanBuffer(Buffer.from(text, 'utf8'), source, secrets);
}

/** Regular files at `path`: itself, or every file below it (symbolic links are not followed). */
function filesUnder(path: string): string[] {
  const stat = lstatSync(path);
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

export interface ScanReport {
  files: string[];
  findings: SecretFinding[];
}

/** Scans every file at or below each of `paths`; a path that does not exist throws (ENOENT). */
export function scanPaths(paths: readonly string[], secrets: readonly NamedSecret[]): ScanReport {
  const files = paths.flatMap(filesUnder);
  const findings = files.flatMap((file) => scanBuffer(readFileSync(file), file, secrets));
  return { files, findings };
}

/** `file:line: …`, naming the secret and how it was written, not what it is. */
export function formatFinding(finding: SecretFinding): string {
  const how = finding.encoding === 'plain' ? '' : ` (${finding.encoding})`;
  return `${finding.file}:${finding.line}: holds the test secret ${finding.secret}${how}`;
}
