/** The capabilities a BMC driver can have, one interface file each. */
export const FEATURES = ['power', 'boot-device', 'inventory', 'sensors', 'virtual-media', 'console'] as const;
export type Feature = (typeof FEATURES)[number];
