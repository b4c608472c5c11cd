export const NIMBUSCTL_VERSION = '0.1.0';
