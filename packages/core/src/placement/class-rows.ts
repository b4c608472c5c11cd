/**
 * The layout of a class row: the numbers the rules and the scores read most, side by
 * side, so that one class costs one cache line and not one miss per column.
 *
 * Hot loops copy these numbers into module-private consts (`const { cores: ROW_CORES } =
 * ROW`): V8 keeps every exported binding, imported or not, in a cell it reloads on each
 * use, which costs a tight loop a third to a half of its time. So hot code reads no
 * exported const directly.
 */
export const ROW = {
  size: 8,
  provider: 0,
  cores: 1,
  threads: 2,
  memory: 3,
  price: 4,
  available: 5,
  /** Bit 0 the arch code, bits 1–3 which disk types the class has, bits 4 on the currency number. */
  flags: 6,
  /** One bit per tag the class carries, tag number modulo TAG_SIGNATURE_BITS. */
  tags: 7,
} as const;

/** How the flags number is packed. */
export const FLAGS = { archMask: 1, diskTypesShift: 1, currencyShift: 4 } as const;
/** Bits of a tag signature; with at most this many distinct tags it is exact. */
export const TAG_SIGNATURE_BITS = 30;

export function packFlags(arch: number, diskTypes: number, currency: number): number {
  return arch | (diskTypes << FLAGS.diskTypesShift) | (currency << FLAGS.currencyShift);
}

export function tagSignatureBit(tag: number): number {
  return 1 << (tag % TAG_SIGNATURE_BITS);
}
