/**
 * The secrets tests should use (BMC passwords, K_g, API and deploy tokens), so that one
 * check can look for them in every log a test run writes. Each is long, distinctive, and
 * made of letters, digits and `-` only: such a string reads the same raw, JSON-escaped
 * and URL-encoded, so a plain search finds it wherever a log put it (base64 is searched
 * for separately). BMC passwords are at most 20 bytes, IPMI's limit.
 */
export const TEST_SECRETS = {
  /** The BMC password a test machine is enrolled with. */
  bmcPassword: 'nbs-bmc-7Hq2Xk9Lr4Vd',
  /** A password the BMC does not accept, for the wrong-password paths. */
  wrongBmcPassword: 'nbs-wrong-Qz8Mn3Tc6',
  /** The password a test's Redfish emulator accepts. */
  redfishPassword: 'nbs-rf-Fa5Jk2Pe8Ru0',
  /** An IPMI K_g as the hex a `--kg-file` holds. */
  ipmiKgHex: '6e62732d6b672d3958346c5132',
  /** A bearer token of the API or of a Redfish session. */
  apiToken: 'nbs-api-token-Ld3Wn7Cq1Zs5',
  /** A deploy callback's one-time token. */
  deployToken: 'nbs-deploy-token-Mv6Ty0Bg4Hx8',
} as const;

export type TestSecretName = keyof typeof TEST_SECRETS;

/**
 * Secrets that tests written before TEST_SECRETS use as literals (test/support/ipmi-sim.ts,
 * test/nimbusd-bmc-cli.test.ts, test/nimbusd-serve.test.ts); searched for as well. The Redfish
 * emulator's default password, `password`, is not: it is an ordinary word that logs hold
 * for other reasons.
 */
export const EARLIER_TEST_SECRETS = {
  ipmiSimPassword: 'nimbus-test-pw',
  bmcCliWrongPassword: 'not-the-Pw-4711',
  servePasswordFile: 'not-a-real-password',
} as const;

/** One secret to look for: its name (what a finding reports) and its value (never reported). */
export interface NamedSecret {
  name: string;
  value: string;
}

/** Every known test secret, by name. */
export function knownTestSecrets(): NamedSecret[] {
  return [...Object.entries(TEST_SECRETS), ...Object.entries(EARLIER_TEST_SECRETS)].map(([name, value]) => ({ name, value }));
}
