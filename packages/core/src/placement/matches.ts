/**
 * The matching classes a scan found: where each one's row can be read again (a list
 * that keeps row copies, or the index's rows), the converted price taken while the scan
 * had the row at hand, and room for the scores ranking computes. The index keeps one buffer and reuses it for every request:
 * allocating typed arrays per request costs more than most requests.
 */
import { cheaperReference, NO_PRICE_REFERENCE } from './scoring.ts';

export class MatchBuffer {
  ids: Int32Array;
  /** The provider number of each match. */
  provider: Int32Array;
  /** Match i's row starts at sources[source[i]][at[i]]. */
  source: Uint8Array;
  at: Int32Array;
  sources: Float64Array[] = [];
  fit: Float64Array;
  /** In the request's currency; NaN when no rate converts it. */
  price: Float64Array;
  priceTerm: Float64Array;
  spread: Float64Array;
  total: Float64Array;
  /** Links a provider's matches together while ranking for spread. */
  next: Int32Array;
  length = 0;
  /** Machines in all matches. */
  machines = 0;
  /** The lowest positive price so far (see cheaperReference). */
  reference = NO_PRICE_REFERENCE;

  constructor(capacity = 1024) {
    this.ids = new Int32Array(capacity);
    this.provider = new Int32Array(capacity);
    this.source = new Uint8Array(capacity);
    this.at = new Int32Array(capacity);
    this.fit = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.priceTerm = new Float64Array(capacity);
    this.spread = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
  }

  reset(): this {
    this.length = 0;
    this.sources.length = 0;
    this.machines = 0;
    this.reference = NO_PRICE_REFERENCE;
    return this;
  }

  /** Registers an array rows are read from; returns its number for {@link push}. */
  addSource(rows: Float64Array): number {
    const known = this.sources.indexOf(rows);
    if (known !== -1) return known;
    if (this.sources.length === 255) throw new RangeError('a scan reads at most 255 lists');
    return this.sources.push(rows) - 1;
  }

  /** Adds class c of provider p, whose row is at `sources[source][at]`, with its converted price and machines. */
  push(c: number, p: number, source: number, at: number, price: number, machines: number): void {
    const n = this.length;
    if (n === this.ids.length) this.grow();
    this.ids[n] = c;
    this.provider[n] = p;
    this.source[n] = source;
    this.at[n] = at;
    this.price[n] = price;
    this.length = n + 1;
    this.machines += machines;
    this.reference = cheaperReference(this.reference, price);
  }

  /** Makes room for `more` matches, so a scan can write them into the arrays directly. */
  reserve(more: number): void {
    while (this.ids.length < this.length + more) this.grow();
  }

  /** Doubles the room, keeping what the scan wrote; the rest is written after it. */
  private grow(): void {
    const capacity = this.ids.length * 2;
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(old: T, fresh: T): T => {
      fresh.set(old as never);
      return fresh;
    };
    this.ids = widen(this.ids, new Int32Array(capacity));
    this.provider = widen(this.provider, new Int32Array(capacity));
    this.source = widen(this.source, new Uint8Array(capacity));
    this.at = widen(this.at, new Int32Array(capacity));
    this.price = widen(this.price, new Float64Array(capacity));
    this.fit = new Float64Array(capacity);
    this.priceTerm = new Float64Array(capacity);
    this.spread = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
  }
}
