/**
 * What a value matching each pattern of provider.schema.json looks like, in words, so
 * a pattern error never shows an operator a bare regular expression. Keyed by the
 * pattern text; a pattern missing here falls back to the schema's `description`
 * (pattern-hints.test.ts fails when the schema gains a pattern without a hint).
 */
const HINTS: ReadonlyMap<string, string> = new Map([
  ['^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$', '2 to 63 lower-case letters, digits and dashes, not starting or ending with a dash'],
  ['^([^@\\s]+@[^@\\s]+\\.[^@\\s]+|https://\\S+)$', 'an e-mail address (ops@example.com) or an https:// URL'],
  ['^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', 'a GitHub login: up to 39 letters, digits and dashes, starting with a letter or digit'],
  ['^[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*$', 'a continent code, a dash and an area in lower case, e.g. eu-central, us-west, ap-southeast'],
  ['^[A-Z]{2}$', 'an ISO 3166-1 alpha-2 country code in upper case, e.g. DE'],
  [
    '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$',
    'a DNS name (nimbus.example.com) or an IP address, without a port or scheme',
  ],
  ['^SHA256:[A-Za-z0-9+/]{43}$', 'SHA256: and 43 base64 characters, as `ssh-keygen -lf` prints the host key'],
  ['^[A-Z]{3}$', 'an ISO 4217 currency code in upper case, e.g. EUR'],
  ['^[a-z0-9][a-z0-9._-]{0,62}$', '1 to 63 lower-case letters, digits and . _ -, starting with a letter or digit'],
  ['^[a-z0-9][a-z0-9._:-]{0,62}$', '1 to 63 lower-case letters, digits and . _ : -, starting with a letter or digit'],
]);

/** The words for `pattern`, or undefined when the schema has a pattern this table lacks. */
export function patternHint(pattern: string): string | undefined {
  return HINTS.get(pattern);
}
