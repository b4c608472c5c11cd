import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  token: string;
  userName: string;
}

export const SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Live sessions and the one account the emulator knows. Tokens are random, 32 bytes. */
export class SessionTable {
  readonly #byToken = new Map<string, Session>();
  readonly #username: string;
  readonly #password: string;

  constructor(username: string, password: string) {
    this.#username = username;
    this.#password = password;
  }

  checkCredentials(userName: unknown, password: unknown): boolean {
    return typeof userName === 'string' && typeof password === 'string' && sameSecret(userName, this.#username) && sameSecret(password, this.#password);
  }

  /** True when an `Authorization: Basic …` header carries the account's credentials. */
  checkBasic(header: string | undefined): boolean {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && this.checkCredentials(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  open(userName: string): Session {
    const session = { id: randomBytes(8).toString('hex').toUpperCase(), token: randomBytes(32).toString('hex'), userName };
    this.#byToken.set(session.token, session);
    return session;
  }

  byToken(token: string | undefined): Session | undefined {
    return token === undefined ? undefined : this.#byToken.get(token);
  }

  byId(id: string): Session | undefined {
    for (const s of this.#byToken.values()) if (s.id === id) return s;
    return undefined;
  }

  close(id: string): boolean {
    const s = this.byId(id);
    if (s) this.#byToken.delete(s.token);
    return s !== undefined;
  }

  /** Drops every session, as a BMC does on a timeout or reboot; clients must log in again. */
  expireAll(): void {
    this.#byToken.clear();
  }

  list(): Session[] {
    return [...this.#byToken.values()];
  }

  path(s: Session): string {
    return `${SESSIONS_PATH}/${s.id}`;
  }

  resource(s: Session): Record<string, unknown> {
    return { '@odata.type': '#Session.v1_7_0.Session', '@odata.id': this.path(s), Id: s.id, Name: 'User Session', UserName: s.userName };
  }
}
