// One call to a nimbusd SSH API, for tests whose daemon runs inside a lab network namespace
// (run with `ip netns exec`). Prints the result as JSON on stdout and exits 0, or prints
// `{"error": …}` and exits 1.
// Usage: node api-call.ts HOST PORT KEY_FILE HOST_FINGERPRINT METHOD [PARAMS_JSON]
import { readFileSync } from 'node:fs';
import { ApiCallError, NimbusApiClient } from '../../packages/nimbusd/src/api/client.ts';

const [host, port, keyFile, fingerprint, method, params] = process.argv.slice(2);
if (!host || !port || !keyFile || !fingerprint || !method) {
  process.stderr.write('usage: api-call.ts HOST PORT KEY_FILE HOST_FINGERPRINT METHOD [PARAMS_JSON]\n');
  process.exit(2);
}
const client = await NimbusApiClient.connect({ host, port: Number(port), privateKey: readFileSync(keyFile), hostKeyFingerprint: fingerprint });
try {
  const result = await client.call(method, params === undefined ? undefined : JSON.parse(params));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  const error = err instanceof ApiCallError ? { message: err.message, rpcCode: err.rpcCode, data: err.data } : { message: (err as Error).message };
  process.stdout.write(`${JSON.stringify({ error })}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
