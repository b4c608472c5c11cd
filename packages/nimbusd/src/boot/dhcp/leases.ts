/**
 * The address pool of full mode and who holds what. Pure bookkeeping with an injected
 * clock: no sockets, no files (lease-file.ts persists `records()`).
 *
 * An address is free when nobody ever had it, when its lease or offer ran out, when it
 * was released, or when a decline's quarantine is over. A client (matched by client id,
 * or by MAC so PXE firmware, iPXE and the installed OS share one lease) gets back the
 * address it had whenever it is still free; new clients get never-used addresses first
 * and only then the longest-expired ones, so returning clients keep theirs.
 */
import { DhcpConfigError } from './errors.ts';
import { ipv4ToNumber, isNetmask, numberToIpv4, sameSubnet } from './ipv4.ts';

/** Lease length when the pool does not set one. */
export const DEFAULT_LEASE_SECONDS = 3600;
/** How long an offered address waits for the client's REQUEST before it may go to someone else. */
export const OFFER_HOLD_MS = 60_000;
/** How long an address a client declined (RFC 2131 §3.1.5: someone else answers ARP for it) stays out of use. */
export const DECLINE_HOLD_MS = 10 * 60_000;

export interface DhcpPoolOptions {
  /** First address handed out. */
  start: string;
  /** Last address handed out (inclusive). */
  end: string;
  netmask: string;
  /** Option 3; omitted when unset (an isolated provisioning network often has no gateway). */
  router?: string;
  /** Option 6. */
  dns?: string[];
  /** Lease length; defaults to DEFAULT_LEASE_SECONDS. */
  leaseSeconds?: number;
}

export type LeaseState = 'offered' | 'bound' | 'released' | 'declined';

export interface LeaseRecord {
  address: string;
  /** `id:<hex>` from option 61, or `mac:<mac>` when the client sent none (or one that is just its MAC). */
  clientKey: string;
  mac: string;
  state: LeaseState;
  /** Epoch ms: end of the offer hold, the lease or the decline quarantine; time of release. */
  expiresAt: number;
}

export interface LeaseClient {
  key: string;
  mac: string;
}

export type BindResult = { ok: true; lease: LeaseRecord } | { ok: false; reason: 'outside-pool' | 'taken' | 'declined' };

export class LeaseTable {
  readonly pool: Required<Omit<DhcpPoolOptions, 'router' | 'dns'>> & Pick<DhcpPoolOptions, 'router' | 'dns'>;
  readonly netmask: number;
  private readonly first: number;
  private readonly last: number;
  private readonly excluded: Set<number>;
  private readonly byAddress = new Map<number, LeaseRecord>();
  private readonly clock: () => number;
  private cursor: number;

  constructor(pool: DhcpPoolOptions, serverAddress: string, clock: () => number = Date.now) {
    const start = ipv4ToNumber(pool.start);
    const end = ipv4ToNumber(pool.end);
    const netmask = ipv4ToNumber(pool.netmask);
    if (start === null) throw new DhcpConfigError(`pool.start "${pool.start}" is not an IPv4 address`);
    if (end === null) throw new DhcpConfigError(`pool.end "${pool.end}" is not an IPv4 address`);
    if (netmask === null || !isNetmask(netmask)) throw new DhcpConfigError(`pool.netmask "${pool.netmask}" is not a netmask like 255.255.255.0`);
    if (start > end) throw new DhcpConfigError(`pool.start ${pool.start} comes after pool.end ${pool.end}`);
    if (!sameSubnet(start, end, netmask)) throw new DhcpConfigError(`pool ${pool.start}..${pool.end} spans more than one ${pool.netmask} subnet`);
    if (pool.router !== undefined && ipv4ToNumber(pool.router) === null) throw new DhcpConfigError(`pool.router "${pool.router}" is not an IPv4 address`);
    for (const dns of pool.dns ?? []) if (ipv4ToNumber(dns) === null) throw new DhcpConfigError(`pool.dns entry "${dns}" is not an IPv4 address`);
    const leaseSeconds = pool.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    if (!Number.isInteger(leaseSeconds) || leaseSeconds < 60 || leaseSeconds > 0xfffffffe) {
      throw new DhcpConfigError(`pool.leaseSeconds ${leaseSeconds} must be a whole number of seconds from 60 up`);
    }
    this.pool = { ...pool, leaseSeconds };
    this.netmask = netmask;
    this.first = start;
    this.last = end;
    this.cursor = start;
    this.clock = clock;
    const network = (start & netmask) >>> 0;
    const broadcast = (network | (~netmask >>> 0)) >>> 0;
    this.excluded = new Set([network, broadcast, ipv4ToNumber(serverAddress) ?? 0, ipv4ToNumber(pool.router ?? '0.0.0.0') ?? 0]);
    const usable = end - start + 1 - [...this.excluded].filter((a) => a >= start && a <= end).length;
    if (usable < 1) throw new DhcpConfigError(`pool ${pool.start}..${pool.end} has no address left once the server, router, network and broadcast addresses are taken out`);
  }

  /** True when the address is one this pool hands out. */
  inPool(address: string): boolean {
    const value = ipv4ToNumber(address);
    return value !== null && value >= this.first && value <= this.last && !this.excluded.has(value);
  }

  /** True when the address is in the pool's subnet (for relayed requests and INIT-REBOOT checks). */
  inSubnet(address: string): boolean {
    const value = ipv4ToNumber(address);
    return value !== null && sameSubnet(value, this.first, this.netmask);
  }

  /** Every record, for persisting; offers are left out, they do not outlive a restart. */
  records(): LeaseRecord[] {
    return [...this.byAddress.values()].filter((record) => record.state !== 'offered').map((record) => ({ ...record }));
  }

  /** Loads persisted records; those outside the (maybe changed) pool are dropped and returned. */
  restore(records: readonly LeaseRecord[]): LeaseRecord[] {
    const dropped: LeaseRecord[] = [];
    for (const record of records) {
      if (!this.inPool(record.address)) dropped.push(record);
      else this.byAddress.set(ipv4ToNumber(record.address) as number, { ...record });
    }
    return dropped;
  }

  /** The record of the address the client holds or held most recently, if any. */
  leaseOf(client: LeaseClient): LeaseRecord | undefined {
    let best: LeaseRecord | undefined;
    for (const record of this.byAddress.values()) {
      if (record.state === 'declined' || !owns(record, client)) continue;
      // An exact client-id match beats a MAC match; then the most recent.
      const better = !best || (record.clientKey === client.key && best.clientKey !== client.key) || (record.clientKey === best.clientKey && record.expiresAt > best.expiresAt);
      if (better) best = record;
    }
    return best;
  }

  /** Picks an address for a DISCOVER and holds it for OFFER_HOLD_MS; null when the pool is exhausted. */
  offer(client: LeaseClient, requested?: string): LeaseRecord | null {
    const now = this.clock();
    const own = this.leaseOf(client);
    if (own && this.isAvailable(own, client, now)) return this.hold(own, client, now);
    if (requested !== undefined && this.inPool(requested)) {
      const record = this.byAddress.get(ipv4ToNumber(requested) as number);
      if (!record || this.isAvailable(record, client, now)) return this.hold(record ?? this.fresh(requested), client, now);
    }
    const fresh = this.nextFresh();
    if (fresh !== null) return this.hold(this.fresh(numberToIpv4(fresh)), client, now);
    let oldest: LeaseRecord | undefined;
    for (const record of this.byAddress.values()) {
      if (this.isAvailable(record, client, now) && (!oldest || record.expiresAt < oldest.expiresAt)) oldest = record;
    }
    return oldest ? this.hold(oldest, client, now) : null;
  }

  /** Binds the address to the client for the pool's lease time (REQUEST), unless someone else holds it. */
  bind(client: LeaseClient, address: string): BindResult {
    if (!this.inPool(address)) return { ok: false, reason: 'outside-pool' };
    const now = this.clock();
    const value = ipv4ToNumber(address) as number;
    const record = this.byAddress.get(value);
    if (record && !this.isAvailable(record, client, now)) return { ok: false, reason: record.state === 'declined' ? 'declined' : 'taken' };
    // One address per client: an older lease of the same client is given up.
    for (const other of this.byAddress.values()) {
      if (other !== record && other.state === 'bound' && owns(other, client)) other.state = 'released';
    }
    const lease: LeaseRecord = { address, clientKey: client.key, mac: client.mac, state: 'bound', expiresAt: now + this.pool.leaseSeconds * 1000 };
    this.byAddress.set(value, lease);
    return { ok: true, lease: { ...lease } };
  }

  /** RELEASE: the client gives the address back; it stays remembered as the client's for next time. */
  release(client: LeaseClient, address: string): boolean {
    const record = this.byAddress.get(ipv4ToNumber(address) ?? -1);
    if (!record || !owns(record, client) || record.state === 'declined') return false;
    record.state = 'released';
    record.expiresAt = this.clock();
    return true;
  }

  /** DECLINE: someone else uses the address; keep it out of the pool for DECLINE_HOLD_MS. */
  decline(client: LeaseClient, address: string): boolean {
    const value = ipv4ToNumber(address);
    if (value === null || !this.inPool(address)) return false;
    const record = this.byAddress.get(value);
    if (record && !owns(record, client) && record.state === 'bound' && record.expiresAt > this.clock()) return false;
    this.byAddress.set(value, { address, clientKey: '', mac: '', state: 'declined', expiresAt: this.clock() + DECLINE_HOLD_MS });
    return true;
  }

  /** The client chose another server's offer: our hold on the address ends now. */
  cancelOffer(client: LeaseClient): void {
    for (const record of this.byAddress.values()) {
      if (record.state === 'offered' && owns(record, client)) record.expiresAt = this.clock();
    }
  }

  private isAvailable(record: LeaseRecord, client: LeaseClient, now: number): boolean {
    if (record.state === 'declined') return record.expiresAt <= now;
    if (owns(record, client)) return true;
    return record.state === 'released' || record.expiresAt <= now;
  }

  private hold(record: LeaseRecord, client: LeaseClient, now: number): LeaseRecord {
    const value = ipv4ToNumber(record.address) as number;
    const keepsLease = record.state === 'bound' && owns(record, client) && record.expiresAt > now;
    const held: LeaseRecord = keepsLease
      ? { ...record, clientKey: client.key, mac: client.mac }
      : { address: record.address, clientKey: client.key, mac: client.mac, state: 'offered', expiresAt: now + OFFER_HOLD_MS };
    this.byAddress.set(value, held);
    return { ...held };
  }

  private fresh(address: string): LeaseRecord {
    return { address, clientKey: '', mac: '', state: 'released', expiresAt: 0 };
  }

  /** The next address that has no record at all, scanning from a cursor so a large pool is not rescanned each time. */
  private nextFresh(): number | null {
    const size = this.last - this.first + 1;
    for (let step = 0; step < size; step++) {
      const candidate = this.first + ((this.cursor - this.first + step) % size);
      if (!this.excluded.has(candidate) && !this.byAddress.has(candidate)) {
        this.cursor = candidate;
        return candidate;
      }
    }
    return null;
  }
}

function owns(record: LeaseRecord, client: LeaseClient): boolean {
  return record.clientKey === client.key || (record.mac !== '' && record.mac === client.mac);
}
