import { join } from 'node:path';
import ssh2 from 'ssh2';
import { sshFingerprint } from '../../config/fingerprint.ts';
import { generateEd25519KeyPair } from '../../config/host-key.ts';
import type { Store } from '../../state/index.ts';
import { enrollReady, openTestStore, tempStateDir } from '../../state/testdata/fixtures.ts';
import type { ApiAccess } from '../identity.ts';
import { createApiDispatcher, type ApiServices, type Dispatcher } from '../methods.ts';
import { ApiServer } from '../ssh-server.ts';

const { utils } = ssh2;

export interface TestKey {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

/** A fresh ed25519 key pair and its fingerprint. */
export function testKey(): TestKey {
  const pair = generateEd25519KeyPair();
  const parsed = utils.parseKey(pair.public);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('cannot parse a generated key');
  return { privateKey: pair.private, publicKey: pair.public, fingerprint: sshFingerprint(parsed.getPublicSSH()) };
}

export interface TestApi {
  server: ApiServer;
  store: Store;
  host: TestKey;
  port: number;
  close(): Promise<void>;
}

/** A store with `readyMachines` ready machines behind an API server on 127.0.0.1 with a free port. */
export async function startTestApi(
  access: ApiAccess,
  readyMachines: number,
  dispatch?: Dispatcher,
  { services, ...limits }: { maxInFlight?: number; maxLineBytes?: number; services?: ApiServices } = {},
): Promise<TestApi> {
  const store = openTestStore(join(tempStateDir(), 'nimbusd.sqlite'));
  for (let i = 1; i <= readyMachines; i++) enrollReady(store, `node${i}`);
  const host = testKey();
  const server = await ApiServer.listen({
    host: '127.0.0.1',
    port: 0,
    hostKey: host.privateKey,
    access,
    dispatch: dispatch ?? createApiDispatcher(store, services ? { services } : {}),
    ...limits,
  });
  return {
    server,
    store,
    host,
    port: server.address.port,
    close: async () => {
      await server.close();
      store.close();
    },
  };
}
