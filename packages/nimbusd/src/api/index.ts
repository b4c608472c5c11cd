export { ApiCallError, ApiConnectionError, DEFAULT_CONNECT_TIMEOUT_MS, HostKeyMismatchError, NimbusApiClient, type ConnectOptions } from './client.ts';
export { identify, type ApiAccess, type ApiRole, type Caller } from './identity.ts';
export { RPC_ERRORS, RpcError, parseRequestLine, type RpcErrorObject, type RpcId, type RpcRequest, type RpcResponse } from './json-rpc.ts';
export { DEFAULT_MAX_LINE_BYTES, LineFramer } from './line-framer.ts';
export {
  createApiDispatcher,
  DEFAULT_AUDIT_TAIL,
  isApiMethod,
  MAX_AUDIT_TAIL,
  type ApiMethodName,
  type ApiMethods,
  type ApiMethodsOptions,
  type ApiStore,
  type Dispatcher,
} from './methods.ts';
export { API_CHANNEL_NAME, ApiServer, DEFAULT_MAX_IN_FLIGHT, type ApiServerOptions } from './ssh-server.ts';
