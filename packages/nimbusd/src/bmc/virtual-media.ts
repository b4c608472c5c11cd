export interface VirtualMediaSetter {
  /** Inserts an ISO by URL into the BMC's virtual CD; an ISO already inserted is ejected first. */
  insertMedia(url: string, signal?: AbortSignal): Promise<void>;
  /** Ejects whatever is inserted; ejecting nothing is harmless. */
  ejectMedia(signal?: AbortSignal): Promise<void>;
}
