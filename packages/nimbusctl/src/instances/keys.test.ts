import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveUserKeys } from './keys.ts';

let home: string;
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl u@h';
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nimbusctl-keys-'));
  mkdirSync(join(home, '.ssh'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the user keys', () => {
  it('says clearly when there is no key, and how to make one', () => {
    expect(() => resolveUserKeys({}, home)).toThrow(/no SSH key: neither ~\/\.ssh\/id_ed25519\.pub nor ~\/\.ssh\/id_rsa\.pub exists\. Make one with `ssh-keygen -t ed25519`/);
  });
  it('takes id_ed25519.pub before id_rsa.pub, and its private half as the identity', () => {
    for (const name of ['id_ed25519', 'id_rsa']) {
      writeFileSync(join(home, '.ssh', `${name}.pub`), `${ED}\n`);
      writeFileSync(join(home, '.ssh', name), 'private');
    }
    expect(resolveUserKeys({}, home)).toEqual({ publicKeyFile: join(home, '.ssh', 'id_ed25519.pub'), publicKey: ED, identityFile: join(home, '.ssh', 'id_ed25519') });
  });
  it('asks for --identity when the private half is missing, and refuses a file that is not a public key', () => {
    writeFileSync(join(home, 'work.pub'), `${ED}\n`);
    expect(() => resolveUserKeys({ sshKey: join(home, 'work.pub') }, home)).toThrow(/no private key next to .*work\.pub .*--identity FILE/);
    writeFileSync(join(home, 'work'), 'private');
    writeFileSync(join(home, 'bad.pub'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    expect(() => resolveUserKeys({ sshKey: join(home, 'bad.pub'), identity: join(home, 'work') }, home)).toThrow(/is not an SSH public key/);
  });
});
