/**
 * What `instances.create` must carry for nimbusd to deploy an OS: an image from this site's
 * catalog, at least one SSH public key, optionally a hostname and user-data. Checked when
 * the instance is created, so a bad request is refused before a machine is touched.
 */
import type { CatalogImage } from '../config/config.ts';
import { DeployRequestError } from './errors.ts';
import { checkHostname, normaliseSshKey } from './seed.ts';

export interface DeployRequest {
  image: CatalogImage;
  sshKeys: string[];
  hostname: string | undefined;
  userData: string | undefined;
}

export const MAX_SSH_KEYS = 20;
export const MAX_USER_DATA_BYTES = 16 * 1024;

/** The deploy part of a request, or undefined when it asks for no image (allocation only). */
export function readDeployRequest(request: Record<string, unknown>, catalog: readonly CatalogImage[]): DeployRequest | undefined {
  if (request.image === undefined) return undefined;
  if (typeof request.image !== 'string') throw new DeployRequestError('request.image: expected an image name');
  const image = catalog.find((i) => i.name === request.image);
  if (!image) {
    const offered = catalog.map((i) => i.name).join(', ') || 'none';
    throw new DeployRequestError(`request.image: this site has no image ${JSON.stringify(request.image)} (it offers: ${offered})`);
  }
  const keys = request.sshKeys;
  if (!Array.isArray(keys) || keys.length === 0) throw new DeployRequestError('request.sshKeys: at least one SSH public key is needed to log in to the instance');
  if (keys.length > MAX_SSH_KEYS) throw new DeployRequestError(`request.sshKeys: at most ${MAX_SSH_KEYS} keys`);
  const sshKeys = keys.map((k, i) => {
    if (typeof k !== 'string') throw new DeployRequestError(`request.sshKeys[${i}]: expected a key line`);
    return normaliseSshKey(k, `request.sshKeys[${i}]`);
  });
  let hostname: string | undefined;
  if (request.hostname !== undefined) {
    if (typeof request.hostname !== 'string') throw new DeployRequestError('request.hostname: expected a host name');
    hostname = checkHostname(request.hostname, 'request.hostname');
  }
  let userData: string | undefined;
  if (request.userData !== undefined) {
    if (typeof request.userData !== 'string') throw new DeployRequestError('request.userData: expected text');
    if (Buffer.byteLength(request.userData) > MAX_USER_DATA_BYTES) throw new DeployRequestError(`request.userData: longer than ${MAX_USER_DATA_BYTES} bytes`);
    userData = request.userData;
  }
  return { image, sshKeys, hostname, userData };
}
