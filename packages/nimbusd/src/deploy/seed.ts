/**
 * The cloud-init NoCloud seed of an instance: `meta-data` (instance id, hostname, the
 * tenant's keys) and `user-data` (a #cloud-config with hostname and keys, or the tenant's
 * own user-data). Keys are re-written from their parsed form, keeping only a plain
 * comment, so nothing a tenant sends can break out of the YAML.
 */
import ssh2 from 'ssh2';
import { DeployRequestError } from './errors.ts';

const { utils } = ssh2;

export interface SeedInput {
  instanceId: string;
  hostname: string;
  /** OpenSSH public key lines, already checked with `normaliseSshKey`. */
  sshKeys: readonly string[];
  /** The tenant's own user-data, served instead of the generated one. */
  userData?: string;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const KEY_TYPES = new Set(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);

export function checkHostname(hostname: string, where: string): string {
  const lower = hostname.toLowerCase();
  if (!HOSTNAME.test(lower)) {
    throw new DeployRequestError(`${where}: ${JSON.stringify(hostname.slice(0, 80))} is not a host name (letters, digits and '-', dot-separated labels of at most 63)`);
  }
  return lower;
}

/** `type base64 [comment]` with the comment cut to safe characters; throws naming the key's position. */
export function normaliseSshKey(line: string, where: string): string {
  const parsed = utils.parseKey(line.trim());
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new DeployRequestError(`${where}: not an OpenSSH public key line (${key instanceof Error ? key.message : 'unreadable'})`);
  if (key.isPrivateKey()) throw new DeployRequestError(`${where}: this is a private key; give the public one (the .pub file)`);
  const [type, blob, ...rest] = line.trim().split(/\s+/);
  if (!type || !blob || !KEY_TYPES.has(type)) throw new DeployRequestError(`${where}: key type ${JSON.stringify(type)} is not one sshd accepts`);
  const comment = rest.join('_').replace(/[^A-Za-z0-9@._-]/g, '').slice(0, 64);
  return comment ? `${type} ${blob} ${comment}` : `${type} ${blob}`;
}

export function renderMetaData(input: SeedInput): string {
  return [`instance-id: ${input.instanceId}`, `local-hostname: ${input.hostname}`, 'public-keys:', ...input.sshKeys.map((k) => `  - ${k}`), ''].join('\n');
}

export function renderUserData(input: SeedInput): string {
  if (input.userData !== undefined) return input.userData;
  return ['#cloud-config', `hostname: ${input.hostname}`, 'ssh_authorized_keys:', ...input.sshKeys.map((k) => `  - ${k}`), ''].join('\n');
}
