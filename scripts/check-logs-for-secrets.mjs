#!/usr/bin/env node
// Searches every log a test run wrote for the known test secrets (test/support/test-secrets.ts)
// and fails naming file and line, never the secret. Paths: the arguments (files or
// directories), else the test log directory ($NIMBUS_TEST_LOG_DIR, else .cache/test-logs).
// Exit 0: none found; 1: found; 2: a path to search does not exist.
import { existsSync } from 'node:fs';
import { formatFinding, scanPaths } from '../test/support/secret-scan.ts';
import { knownTestSecrets } from '../test/support/test-secrets.ts';
import { testLogDir } from '../test/support/test-logs.ts';

const paths = process.argv.length > 2 ? process.argv.slice(2) : [testLogDir()];
const missing = paths.filter((path) => !existsSync(path));
if (missing.length > 0) {
  for (const path of missing) console.error(`check-logs-for-secrets: ${path} does not exist; run the tests first, or pass the log files or directories to search`);
  process.exit(2);
}
const { files, findings } = scanPaths(paths, knownTestSecrets());
for (const finding of findings) console.error(`secret in log: ${formatFinding(finding)}`);
const where = paths.join(', ');
if (findings.length > 0) {
  console.error(`check-logs-for-secrets: ${findings.length} place(s) in ${new Set(findings.map((f) => f.file)).size} of ${files.length} log file(s) under ${where} hold a test secret; a secret must never reach a log`);
  process.exit(1);
}
console.log(`check-logs-for-secrets: no test secret in ${files.length} log file(s) under ${where}`);
