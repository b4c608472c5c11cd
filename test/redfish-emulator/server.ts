import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MOCKUPS_DIR, loadMockup, memberIds, normalizePath, type Resource, ResourceTree } from './mockup-store.ts';
import { RedfishHttpError, redfishError } from './redfish-error.ts';
import { SESSIONS_PATH, SessionTable } from './sessions.ts';
import { InMemorySystemBackend, type RedfishPowerState, type SystemBackend } from './system-backend.ts';

export const DEFAULT_USERNAME = 'admin';
export const DEFAULT_PASSWORD = 'password';
/** Request bodies larger than this are refused; Redfish requests are small. */
export const MAX_BODY_BYTES = 1 << 20;
/** The path, outside /redfish, where an out-of-process test sets faults (only with `control`). */
export const CONTROL_PATH = '/redfish-emulator/faults';

const ENABLED_VALUES = ['Disabled', 'Once', 'Continuous'];
const MODE_VALUES = ['UEFI', 'Legacy'];

export interface RedfishEmulatorOptions {
  /** A folder of the mockups directory, e.g. `public-rackmount1`. */
  mockup: string;
  /** Default: `<repo>/../shared/redfish-mockups`. */
  mockupsDir?: string;
  /** Default 0: any free port. The listener is always on 127.0.0.1. */
  port?: number;
  /** Default `DEFAULT_USERNAME`. */
  username?: string;
  /** Default `DEFAULT_PASSWORD`. */
  password?: string;
  /** When set, collections longer than this are served in pages linked by `Members@odata.nextLink`. */
  pageSize?: number;
  /** Serve this many copies of the mockup's first system (default 1: the mockup as it is). */
  systemCount?: number;
  /** Default true. False removes the SessionService, so clients must use Basic auth. */
  offerSessions?: boolean;
  /** Makes the backend of each system; default an `InMemorySystemBackend`. */
  backend?: (systemPath: string, initial: RedfishPowerState) => SystemBackend;
  /** Exposes `POST CONTROL_PATH` so a test in another process can inject faults. */
  control?: boolean;
}

export type Fault = 'http-500' | 'malformed-json';

/** The control body: any of these, applied in this order. */
export interface ControlRequest {
  clearFaults?: boolean;
  expireSessions?: boolean;
  fault?: { path: string; kind: Fault };
  /** Changes the resource at this path just before the next PATCH to it is checked. */
  conflictOnNextPatch?: string;
}

function etagOf(resource: Resource): string {
  return `W/"${createHash('sha256').update(JSON.stringify(resource)).digest('hex').slice(0, 16)}"`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function allowable(resource: Record<string, unknown>, property: string, fallback: readonly string[]): readonly string[] {
  const values = resource[`${property}@Redfish.AllowableValues`];
  return Array.isArray(values) ? (values as string[]) : fallback;
}

/**
 * A Redfish service over one DMTF mockup, with state: Reset changes PowerState, a Boot
 * PATCH is validated and kept, sessions hand out random tokens, ETags follow changes,
 * VirtualMedia can be inserted and ejected. Each instance has its own copy of the tree.
 */
export class RedfishEmulator {
  readonly sessions: SessionTable;
  /** System path → what stands behind it. */
  readonly backends = new Map<string, SystemBackend>();
  readonly #resources: ResourceTree;
  readonly #faults = new Map<string, Fault>();
  readonly #conflicts = new Set<string>();
  readonly #options: RedfishEmulatorOptions;
  readonly #server: Server;
  #url = '';

  private constructor(options: RedfishEmulatorOptions) {
    this.#options = options;
    this.#resources = new ResourceTree(loadMockup(options.mockup, options.mockupsDir ?? DEFAULT_MOCKUPS_DIR));
    this.sessions = new SessionTable(options.username ?? DEFAULT_USERNAME, options.password ?? DEFAULT_PASSWORD);
    this.#prepare();
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => this.#sendError(res, err));
    });
  }

  static async start(options: RedfishEmulatorOptions): Promise<RedfishEmulator> {
    const emulator = new RedfishEmulator(options);
    await new Promise<void>((resolve, reject) => {
      emulator.#server.once('error', reject);
      emulator.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = emulator.#server.address() as AddressInfo;
    emulator.#url = `http://127.0.0.1:${port}`;
    return emulator;
  }

  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return this.#url;
  }

  /** The paths of the systems served, in the order of the Systems collection. */
  get systemPaths(): string[] {
    return [...this.backends.keys()];
  }

  /** The stored resource (not a copy), for tests that look behind the HTTP surface. */
  resource(path: string): Resource | undefined {
    return this.#resources.get(normalizePath(path));
  }

  expireSessions(): void {
    this.sessions.expireAll();
  }

  /** Every request to `path` (any method) gets the fault until `clearFaults`. */
  injectFault(path: string, kind: Fault): void {
    this.#faults.set(normalizePath(path), kind);
  }

  clearFaults(): void {
    this.#faults.clear();
    this.#conflicts.clear();
  }

  /**
   * Someone else changes the resource at `path` right before the next PATCH to it is
   * checked, so that PATCH's If-Match is stale: the race a client's retry must survive.
   */
  conflictOnNextPatch(path: string): void {
    this.#conflicts.add(normalizePath(path));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Adds the VirtualMedia actions the mockups leave out, copies systems, gives each a backend. */
  #prepare(): void {
    for (const [path, r] of this.#resources.entries()) {
      if (typeof r['@odata.type'] === 'string' && r['@odata.type'].startsWith('#VirtualMedia.v') && !isObject(r['Actions'])) {
        r['Actions'] = {
          '#VirtualMedia.InsertMedia': { target: `${path}/Actions/VirtualMedia.InsertMedia` },
          '#VirtualMedia.EjectMedia': { target: `${path}/Actions/VirtualMedia.EjectMedia` },
        };
      }
    }
    const count = this.#options.systemCount ?? 1;
    const first = memberIds(this.#resources.get('/redfish/v1/Systems'))[0];
    const copies = count > 1 && first !== undefined ? this.#resources.replicateSystem(first, count) : [];
    const copied = new Set(copies);
    for (const path of memberIds(this.#resources.get('/redfish/v1/Systems'))) {
      // A copy starts as its original does; reading it would materialize it now.
      const system = this.#resources.get(copied.has(path) ? (first as string) : path);
      if (!system) continue;
      const initial: RedfishPowerState = system['PowerState'] === 'Off' ? 'Off' : 'On';
      this.backends.set(path, this.#options.backend?.(path, initial) ?? new InMemorySystemBackend(initial));
    }
    if (this.#options.offerSessions === false) {
      const root = this.#resources.get('/redfish/v1');
      if (root) {
        delete root['SessionService'];
        if (isObject(root['Links'])) delete root['Links']['Sessions'];
      }
      for (const p of [...this.#resources.keys()]) if (p.startsWith('/redfish/v1/SessionService')) this.#resources.delete(p);
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    let path: string;
    try {
      path = normalizePath(decodeURIComponent(url.pathname));
    } catch {
      throw notFound(url.pathname); // a malformed %-escape names no resource
    }
    const method = req.method ?? 'GET';

    if (this.#options.control && path === CONTROL_PATH && method === 'POST') {
      this.#control(await readJsonBody(req));
      res.writeHead(204).end();
      return;
    }
    const fault = this.#faults.get(path);
    if (fault === 'http-500') throw new RedfishHttpError(500, 'InternalError', 'The request failed due to an internal service error (injected).');
    if (fault === 'malformed-json') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"@odata.id": "' + path + '", "Members": [');
      return;
    }

    const sessionsOffered = this.#options.offerSessions !== false;
    const isLogin = sessionsOffered && method === 'POST' && path === SESSIONS_PATH;
    // DSP0266: the service root and the login are open; everything else needs credentials.
    const isOpen = (method === 'GET' && (path === '/redfish' || path === '/redfish/v1')) || isLogin;
    if (!isOpen) this.#authenticate(req);

    if (isLogin) return this.#login(req, res);
    const sessionId = sessionsOffered && path.startsWith(`${SESSIONS_PATH}/`) ? path.slice(SESSIONS_PATH.length + 1) : undefined;

    switch (method) {
      case 'GET':
        if (sessionId !== undefined) {
          const s = this.sessions.byId(sessionId);
          if (!s) throw notFound(path);
          return sendJson(res, 200, this.sessions.resource(s));
        }
        return this.#get(path, url.searchParams, res);
      case 'POST':
        return this.#action(path, req, res);
      case 'PATCH':
        return this.#patch(path, req, res);
      case 'DELETE':
        if (sessionId !== undefined) {
          if (!this.sessions.close(sessionId)) throw notFound(path);
          res.writeHead(204).end();
          return;
        }
        throw this.#notAllowed(path, method);
      default:
        throw this.#notAllowed(path, method);
    }
  }

  #control(body: Record<string, unknown>): void {
    const request = body as ControlRequest;
    if (request.clearFaults) this.clearFaults();
    if (request.expireSessions) this.expireSessions();
    if (request.fault) this.injectFault(request.fault.path, request.fault.kind);
    if (request.conflictOnNextPatch !== undefined) this.conflictOnNextPatch(request.conflictOnNextPatch);
  }

  #authenticate(req: IncomingMessage): void {
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string' && this.sessions.byToken(token)) return;
    if (this.sessions.checkBasic(req.headers.authorization)) return;
    throw new RedfishHttpError(401, 'NoValidSession', 'There is no valid session established with the implementation.', {
      'WWW-Authenticate': 'Basic realm="Redfish"',
    });
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req);
    if (!this.sessions.checkCredentials(body['UserName'], body['Password'])) {
      throw new RedfishHttpError(401, 'ResourceAtUriUnauthorized', 'While accessing the resource at /redfish/v1/SessionService/Sessions, the service received an authorization error.');
    }
    const session = this.sessions.open(body['UserName'] as string);
    sendJson(res, 201, this.sessions.resource(session), { 'X-Auth-Token': session.token, Location: this.sessions.path(session) });
  }

  /** The resource as served now: stored JSON plus live state (power, sessions). */
  async #render(path: string): Promise<Resource | undefined> {
    const stored = this.#resources.get(path);
    if (!stored) return undefined;
    const backend = this.backends.get(path);
    if (backend) return { ...stored, PowerState: await backend.powerState() };
    if (path === SESSIONS_PATH) {
      const members = this.sessions.list().map((s) => ({ '@odata.id': this.sessions.path(s) }));
      return { ...stored, Members: members, 'Members@odata.count': members.length };
    }
    return stored;
  }

  async #get(path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const resource = await this.#render(path);
    if (!resource) throw notFound(path);
    const etag = etagOf(resource);
    let body: Resource = { ...resource, '@odata.etag': etag };
    const pageSize = this.#options.pageSize;
    const members = resource['Members'];
    if (pageSize !== undefined && Array.isArray(members) && members.length > pageSize) {
      const skip = Number(query.get('$skip') ?? '0');
      if (!Number.isInteger(skip) || skip < 0) {
        throw new RedfishHttpError(400, 'QueryParameterValueTypeError', `The value ${String(query.get('$skip'))} for the query parameter $skip is not valid.`);
      }
      body = { ...body, Members: members.slice(skip, skip + pageSize) };
      if (skip + pageSize < members.length) body['Members@odata.nextLink'] = `${path}?$skip=${skip + pageSize}`;
    }
    sendJson(res, 200, body, { ETag: etag });
  }

  async #action(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const marker = path.lastIndexOf('/Actions/');
    const owner = marker > 0 ? path.slice(0, marker) : undefined;
    const action = marker > 0 ? path.slice(marker + '/Actions/'.length) : undefined;
    const backend = owner === undefined ? undefined : this.backends.get(owner);
    if (backend && owner !== undefined && action === 'ComputerSystem.Reset') {
      return this.#reset(owner, backend, await readJsonBody(req), res);
    }
    const media = owner === undefined ? undefined : this.#resources.get(owner);
    if (media && isObject(media['Actions']) && action !== undefined && `#${action}` in media['Actions']) {
      const body = await readJsonBody(req);
      if (action === 'VirtualMedia.InsertMedia') insertMedia(media, body);
      else if (action === 'VirtualMedia.EjectMedia') ejectMedia(media);
      res.writeHead(204).end();
      return;
    }
    throw this.#notAllowed(path, 'POST');
  }

  async #reset(systemPath: string, backend: SystemBackend, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const system = this.#resources.get(systemPath) as Resource;
    const resetAction = (system['Actions'] as Record<string, Record<string, unknown>>)['#ComputerSystem.Reset'] ?? {};
    const allowed = allowable(resetAction, 'ResetType', ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart']);
    const resetType = body['ResetType'];
    if (resetType === undefined) {
      throw new RedfishHttpError(400, 'ActionParameterMissing', 'The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.');
    }
    if (typeof resetType !== 'string' || !allowed.includes(resetType)) {
      throw new RedfishHttpError(400, 'ActionParameterValueNotInList', `The value ${JSON.stringify(resetType)} for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.`);
    }
    const before = await backend.powerState();
    await backend.power(resetType);
    const after = await backend.powerState();
    // A machine that boots consumes a one-time override, as real BMCs do.
    const booted = (before === 'Off' && after === 'On') || (after === 'On' && /Restart|PowerCycle/.test(resetType));
    const boot = system['Boot'];
    if (booted && isObject(boot) && boot['BootSourceOverrideEnabled'] === 'Once') boot['BootSourceOverrideEnabled'] = 'Disabled';
    res.writeHead(204).end();
  }

  async #patch(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const backend = this.backends.get(path);
    const system = this.#resources.get(path);
    if (!backend || !system) throw this.#notAllowed(path, 'PATCH');
    if (this.#conflicts.delete(path)) {
      const oem = isObject(system['Oem']) ? system['Oem'] : {};
      const mine = isObject(oem['RedfishEmulator']) ? oem['RedfishEmulator'] : {};
      mine['Revision'] = (typeof mine['Revision'] === 'number' ? mine['Revision'] : 0) + 1;
      system['Oem'] = { ...oem, RedfishEmulator: mine };
    }
    const current = etagOf((await this.#render(path)) as Resource);
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current) {
      throw new RedfishHttpError(412, 'PreconditionFailed', 'The ETag supplied did not match the ETag required to change this resource.', { ETag: current });
    }
    const body = await readJsonBody(req);
    for (const key of Object.keys(body)) {
      if (key !== 'Boot') throw new RedfishHttpError(400, 'PropertyNotWritable', `The property ${key} is a read only property and cannot be assigned a value.`);
    }
    const patch = body['Boot'];
    if (!isObject(patch)) throw new RedfishHttpError(400, 'PropertyValueTypeError', 'The value for the property Boot is of a different type than the property can accept.');
    const boot = isObject(system['Boot']) ? system['Boot'] : {};
    const checks: [string, readonly string[]][] = [
      ['BootSourceOverrideTarget', allowable(boot, 'BootSourceOverrideTarget', [])],
      ['BootSourceOverrideEnabled', allowable(boot, 'BootSourceOverrideEnabled', ENABLED_VALUES)],
      ['BootSourceOverrideMode', allowable(boot, 'BootSourceOverrideMode', MODE_VALUES)],
    ];
    for (const key of Object.keys(patch)) {
      const check = checks.find(([name]) => name === key);
      // A system whose Boot has no such property (e.g. no Mode on older blades) refuses it.
      if (!check || !(key in boot)) throw new RedfishHttpError(400, 'PropertyUnknown', `The property Boot/${key} is not in the list of valid properties for the resource.`);
      const value = patch[key];
      if (typeof value !== 'string' || !check[1].includes(value)) {
        throw new RedfishHttpError(400, 'PropertyValueNotInList', `The value ${JSON.stringify(value)} for the property Boot/${key} is not in the list of acceptable values.`);
      }
    }
    Object.assign(boot, patch);
    system['Boot'] = boot;
    const override = { target: String(boot['BootSourceOverrideTarget']), enabled: String(boot['BootSourceOverrideEnabled']) };
    await backend.bootOverride(typeof boot['BootSourceOverrideMode'] === 'string' ? { ...override, mode: boot['BootSourceOverrideMode'] } : override);
    res.writeHead(204, { ETag: etagOf((await this.#render(path)) as Resource) }).end();
  }

  #notAllowed(path: string, method: string): RedfishHttpError {
    if (!this.#resources.has(path)) return notFound(path);
    return new RedfishHttpError(405, 'OperationNotAllowed', `The HTTP method ${method} is not allowed on ${path}.`, { Allow: 'GET' });
  }

  #sendError(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof RedfishHttpError) sendJson(res, err.status, err.body, err.headers);
    else sendJson(res, 500, redfishError('InternalError', 'The request failed due to an internal service error.'));
  }
}

function notFound(path: string): RedfishHttpError {
  return new RedfishHttpError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`);
}

function insertMedia(media: Resource, body: Record<string, unknown>): void {
  const image = body['Image'];
  if (typeof image !== 'string' || image === '') {
    throw new RedfishHttpError(400, 'ActionParameterMissing', 'The action VirtualMedia.InsertMedia requires the parameter Image to be present in the request body.');
  }
  if (media['Inserted'] === true) {
    throw new RedfishHttpError(400, 'ResourceInUse', 'The change to the requested resource failed because the resource is in use or in transition.');
  }
  media['Image'] = image;
  media['ImageName'] = image.slice(image.lastIndexOf('/') + 1);
  media['Inserted'] = true;
}

function ejectMedia(media: Resource): void {
  media['Image'] = null;
  media['ImageName'] = null;
  media['Inserted'] = false;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'OData-Version': '4.0', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads a JSON object body; an empty body is `{}`. Anything else is a Redfish 400. */
async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RedfishHttpError(413, 'GeneralError', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RedfishHttpError(400, 'MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.');
  }
  if (!isObject(parsed)) throw new RedfishHttpError(400, 'MalformedJSON', 'The request body submitted must be a JSON object.');
  return parsed;
}
