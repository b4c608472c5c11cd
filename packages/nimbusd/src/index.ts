/** nimbusd's version, reported by the API and in logs. */
export const NIMBUSD_VERSION = '0.1.0';
