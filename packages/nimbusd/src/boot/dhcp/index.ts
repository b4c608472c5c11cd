export { DhcpServer } from './server.ts';
export {
  DEFAULT_BROADCAST_ADDRESS,
  DEFAULT_CLIENT_PORT,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_POLICY_TIMEOUT_MS,
  DEFAULT_PROXY_PORT,
  DEFAULT_SERVER_PORT,
  type DhcpEvent,
  type DhcpMode,
  type DhcpPort,
  type DhcpServerOptions,
} from './server-options.ts';
export { DECLINE_HOLD_MS, DEFAULT_LEASE_SECONDS, OFFER_HOLD_MS, type DhcpPoolOptions, type LeaseRecord, type LeaseState } from './leases.ts';
export { DhcpBindError, DhcpConfigError, DhcpEncodeError, DhcpError, DhcpLeaseFileError, DhcpPacketError, type DhcpPacketProblem } from './errors.ts';
export { encodeDhcpMessage, parseDhcpMessage, type DhcpMessage } from './packet.ts';
export { MESSAGE_TYPE, OPTION, type DhcpMessageTypeName, type DhcpOptions } from './options.ts';
export { clientArch, toBootRequest } from './boot-request.ts';
