/**
 * Which ComputerSystem of a Redfish service a client drives. A config names it by `Id`
 * (`529QB9451R6`) or by `@odata.id` path (`/redfish/v1/Systems/529QB9451R6`); without
 * one, the first member of Systems. A path is read directly (one GET, which matters for a
 * sweep of many systems behind one service); an Id is looked up among the members.
 */
import { BmcConfigError, BmcUnsupportedError } from '../../errors.ts';
import { type Json, RedfishStatusError, type RedfishTransport } from './transport.ts';

/** How many known ids an error lists before it only counts the rest. */
const IDS_IN_ERROR = 20;

/** What is wrong with a `system` setting, or undefined when it is usable. */
export function systemSettingProblem(system: unknown): string | undefined {
  if (typeof system !== 'string' || system.trim() === '') return 'must be a system Id or an @odata.id path such as /redfish/v1/Systems/1';
  if (/\s/.test(system)) return `must not contain spaces, got "${system}"`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(system)) return `must be a path on the BMC (/redfish/v1/Systems/…) or an Id, not a URL, got "${system}"`;
  if (!system.startsWith('/') && system.includes('/')) return `must be an Id without "/" or a path starting with "/", got "${system}"`;
  return undefined;
}

/** The Id a member path ends in (`/redfish/v1/Systems/1/` → `1`). */
export function memberIdOf(path: string): string {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function knownIds(members: readonly string[]): string {
  if (members.length === 0) return 'the Systems collection is empty';
  const ids = members.slice(0, IDS_IN_ERROR).map(memberIdOf).join(', ');
  const more = members.length > IDS_IN_ERROR ? ` and ${members.length - IDS_IN_ERROR} more` : '';
  return `the known systems are ${ids}${more}`;
}

export interface SelectedSystem {
  path: string;
  /** The system as read while selecting it, when that took a read (a path given). */
  body?: Json;
  etag?: string;
}

/**
 * Finds the system `wanted` names in the collection at `systemsPath`; the first member
 * when `wanted` is undefined. A system that is not there is a `BmcConfigError` that names
 * the ones that are.
 */
export async function selectSystem(transport: RedfishTransport, origin: string, systemsPath: string, wanted: string | undefined, signal?: AbortSignal): Promise<SelectedSystem> {
  const missing = async (what: string): Promise<BmcConfigError> =>
    new BmcConfigError(`Redfish BMC ${origin}: ${what} in ${systemsPath}; ${knownIds(await transport.members(systemsPath, signal))}`);

  if (wanted === undefined) {
    const [first] = await transport.members(systemsPath, signal);
    if (first === undefined) throw new BmcUnsupportedError(`the Redfish Systems collection ${systemsPath} is empty`);
    return { path: first };
  }
  if (!wanted.startsWith('/')) {
    const members = await transport.members(systemsPath, signal);
    const path = members.find((m) => memberIdOf(m) === wanted);
    if (path === undefined) throw new BmcConfigError(`Redfish BMC ${origin}: no system with Id "${wanted}" in ${systemsPath}; ${knownIds(members)}`);
    return { path };
  }
  const path = wanted.length > 1 ? wanted.replace(/\/+$/, '') : wanted;
  let read;
  try {
    read = await transport.get(path, signal);
  } catch (err) {
    if (err instanceof RedfishStatusError && err.status === 404) throw await missing(`no system at ${path}`);
    throw err;
  }
  const type = read.body['@odata.type'];
  // Vendors omit @odata.type now and then; only a resource that says it is something else is refused.
  if (typeof type === 'string' && !type.startsWith('#ComputerSystem.')) throw await missing(`${path} is a ${type.replace(/^#/, '')}, not a ComputerSystem`);
  return read.etag !== undefined ? { path, body: read.body, etag: read.etag } : { path, body: read.body };
}
