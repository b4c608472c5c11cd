/**
 * nimbusd's long-running part: opens the state store, builds who may call the SSH API
 * from the config, and runs the API and /metrics listeners. `serve(signal)` is the one
 * shutdown path: an abort or the first fatal error closes every listener and the store.
 */
import { readSecretFile } from '../cli/secret-file.ts';
import { ApiServer } from '../api/ssh-server.ts';
import { createApiDispatcher, isApiMethod, type Dispatcher } from '../api/methods.ts';
import { RPC_ERRORS, RpcError } from '../api/json-rpc.ts';
import type { NimbusdConfig } from '../config/config.ts';
import { readHostKey } from '../config/host-key.ts';
import { formatListenAddress, type ListenAddress } from '../config/listen-address.ts';
import { silentLogger, type Logger } from '../logging/index.ts';
import { MetricsServer } from '../metrics/metrics-server.ts';
import { createNimbusMetrics, type ApiResult, type NimbusMetrics } from '../metrics/nimbus-metrics.ts';
import { stateDbPath } from '../state/database.ts';
import { Store, type Clock } from '../state/store.ts';
import { buildApiAccess } from './access.ts';
import { ListenError } from './errors.ts';
import { countMachinesByState } from './machine-gauge.ts';
import { ConsoleBroker } from '../machines/console-broker.ts';
import { machineBmcConnector, withMachineBmc, type ConnectBmc } from '../machines/machine-bmc.ts';
import { openInstanceConsole } from './instance-console.ts';
import { PowerSync } from '../machines/power-sync.ts';
import { Reconciler, type ReconcileStep } from '../machines/reconciler.ts';
import { inspectOutOfBand, releaseToPool } from '../machines/steps.ts';
import { InvalidRequestError, type MachineState } from '@nimbus/core';
import type { CatalogImage } from '../config/config.ts';
import { readDeployRequest } from '../deploy/deploy-request.ts';
import { deployStep, startDeployStep } from '../deploy/flow.ts';
import { inspectInBand } from '../deploy/inspect.ts';
import { wipeThenRelease } from '../deploy/wipe.ts';
import { startBootService, type BootService, type BootServiceOptions } from './boot-service.ts';

/**
 * How often the machines gauge is recounted. API calls recount it at once; this interval
 * catches changes made by other processes on the same store (`nimbusd machine …`).
 */
export const DEFAULT_GAUGE_REFRESH_MS = 15_000;

export interface DaemonOptions {
  config: NimbusdConfig;
  /** Silent if unset. */
  logger?: Logger;
  /** A fresh registry with the default process metrics if unset. */
  metrics?: NimbusMetrics;
  /** The wall clock if unset. */
  clock?: Clock;
  /** See DEFAULT_GAUGE_REFRESH_MS. */
  gaugeRefreshMs?: number;
  /** How the daemon reaches a machine's BMC; from the store's BMC settings if unset. */
  connectBmc?: ConnectBmc;
  /** Time between two reconcile passes when nothing changes; 10 s if unset. */
  reconcileIntervalMs?: number;
  /** Boot service port and broadcast overrides (tests on loopback). */
  bootOverrides?: Pick<BootServiceOptions, 'ports' | 'broadcastAddress'>;
  /** The port deployed instances' sshd is probed on; 22 if unset (tests). */
  instanceSshPort?: number;
  /** This nimbusd's version, as the API's `version` answers it. */
  version?: string;
}

/** Where the listeners ended up, once bound. */
export interface DaemonAddresses {
  api: ListenAddress;
  metrics?: ListenAddress;
  /** The boot service's bound ports, when it runs. */
  boot?: BootService['addresses'];
}

export class Daemon {
  readonly #config: NimbusdConfig;
  readonly #logger: Logger;
  readonly #metrics: NimbusMetrics;
  readonly #clock: Clock;
  readonly #gaugeRefreshMs: number;
  readonly #connectBmc: ConnectBmc;
  readonly #reconcileIntervalMs: number | undefined;
  readonly #bootOverrides: DaemonOptions['bootOverrides'];
  readonly #instanceSshPort: number | undefined;
  readonly #version: string | undefined;
  #addresses: DaemonAddresses | undefined;

  constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#logger = options.logger ?? silentLogger();
    this.#metrics = options.metrics ?? createNimbusMetrics();
    this.#clock = options.clock ?? (() => new Date());
    this.#gaugeRefreshMs = options.gaugeRefreshMs ?? DEFAULT_GAUGE_REFRESH_MS;
    this.#connectBmc = options.connectBmc ?? machineBmcConnector();
    this.#reconcileIntervalMs = options.reconcileIntervalMs;
    this.#bootOverrides = options.bootOverrides;
    this.#instanceSshPort = options.instanceSshPort;
    this.#version = options.version;
  }

  /** The bound addresses while serving; undefined before the listeners are up. */
  get addresses(): DaemonAddresses | undefined {
    return this.#addresses;
  }

  /**
   * Starts every listener and runs until `signal` aborts (resolves) or a listener fails
   * (rejects with that error, after everything is closed).
   */
  async serve(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    // Everything read from disk first: a bad key file stops the start before any port is bound.
    const access = buildApiAccess(config);
    const hostKey = readHostKey(config.api.hostKeyPath);
    const hostKeyText = readSecretFile(config.api.hostKeyPath, 'host key');
    const store = new Store({ path: stateDbPath(config.stateDir), clock: this.#clock });

    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let api: ApiServer | undefined;
    let metricsServing: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let background: Promise<unknown> | undefined;
    let bootService: BootService | undefined;
    const consoles = new ConsoleBroker(this.#connectBmc, this.#clock);
    const stopSweeping = store.onChange(() => consoles.sweep((machineId) => store.liveInstanceOf(machineId)));
    try {
      if (config.boot.enabled) {
        bootService = await startBootService({ config, store, logger: this.#logger, metrics: this.#metrics, ...this.#bootOverrides });
      }
      const refreshGauge = (): void => {
        try {
          this.#metrics.setMachinesByState(countMachinesByState(store));
        } catch (err) {
          this.#logger.warn({ err: (err as Error).message }, 'counting machines for the metrics failed');
        }
      };
      refreshGauge();

      api = await bind('SSH API', config.api.listen, () =>
        ApiServer.listen({
          host: config.api.listen.host,
          port: config.api.listen.port,
          hostKey: hostKeyText,
          access,
          dispatch: this.#measured(
            createApiDispatcher(store, {
              onInternalError: (err, method) => this.#internalError(err, method),
              services: {
                power: (machine, action, callSignal) => withMachineBmc(this.#connectBmc, machine, (client) => client.setPower!(action, callSignal)),
                openConsole: (machine, instance, { force, signal: callSignal }) => openInstanceConsole(consoles, this.#logger, { machine, instance, force, signal: callSignal }),
                canWipe: config.boot.enabled,
                ...(this.#version === undefined ? {} : { version: this.#version }),
                sshUserOf: (request) => {
                  const image = (request as { image?: unknown } | null)?.image;
                  return config.images.find((i) => i.name === image)?.sshUser ?? null;
                },
                checkRequest: (request) => {
                  if (request.image === undefined) return;
                  if (!config.boot.enabled) throw new InvalidRequestError('request.image: this site deploys no images (its boot service is off); ask for a machine only');
                  readDeployRequest(request, config.images);
                },
              },
            }),
            refreshGauge,
          ),
          logger: this.#logger,
        }),
      );

      let metricsAddress: ListenAddress | undefined;
      let fatal: Promise<never> | undefined;
      if (config.metrics.enabled) {
        const server = new MetricsServer({ registry: this.#metrics.registry, host: config.metrics.listen.host, port: config.metrics.listen.port, logger: this.#logger });
        const bound = await bind('metrics', config.metrics.listen, () => server.listen());
        metricsAddress = { host: bound.address, port: bound.port };
        metricsServing = server.serve(stop.signal);
        // A metrics server that fails later is fatal too: stop everything with its error.
        fatal = metricsServing.then(
          () => new Promise<never>(() => {}),
          (err: unknown) => {
            throw new ListenError(`the metrics listener on ${formatListenAddress(config.metrics.listen)} failed: ${describe(err)}`, { cause: err });
          },
        );
      }

      timer = setInterval(refreshGauge, this.#gaugeRefreshMs);
      timer.unref();
      background = this.#runMachineLoops(store, stop.signal, bootService);
      this.#addresses = { api: api.address, ...(metricsAddress ? { metrics: metricsAddress } : {}), ...(bootService ? { boot: bootService.addresses } : {}) };
      this.#logger.info(
        {
          provider: config.provider.id,
          api: formatListenAddress(api.address),
          metrics: metricsAddress ? formatListenAddress(metricsAddress) : 'disabled',
          hostKey: hostKey.fingerprint,
          tenantPolicy: access.tenantPolicy,
          adminKeys: access.adminKeys.length,
          tenantKeys: access.tenantKeys.length,
        },
        'nimbusd listening',
      );

      const stopped = new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        else stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await (fatal ? Promise.race([stopped, fatal]) : stopped);
      this.#logger.info('nimbusd stopping');
    } catch (err) {
      this.#logger.error({ err: describe(err) }, 'nimbusd stopping after a fatal error');
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      if (timer) clearInterval(timer);
      stopSweeping();
      await consoles.closeAll('nimbusd is stopping');
      await background;
      await bootService?.close();
      await api?.close();
      await metricsServing?.catch(() => {});
      store.close();
      this.#addresses = undefined;
      this.#logger.info('nimbusd stopped');
    }
  }

  /**
   * The loops that keep machines moving: the reconcile loop (which first resumes whatever a
   * previous run left mid-transition) and the power sync. They end when `signal` aborts.
   */
  #runMachineLoops(store: Store, signal: AbortSignal, boot: BootService | undefined): Promise<unknown> {
    const { machines } = this.#config;
    const stepOptions = { store, connect: this.#connectBmc };
    const steps: Partial<Record<MachineState, ReconcileStep>> = {
      inspecting: inspectOutOfBand(stepOptions),
      releasing: releaseToPool(stepOptions),
    };
    if (boot) {
      const catalog = (): CatalogImage[] => this.#config.images;
      steps.allocated = startDeployStep({ store, catalog });
      const flow = {
        sessions: boot.sessions,
        events: boot.events,
        tokens: boot.tokens,
        connect: this.#connectBmc,
        boot: this.#config.boot,
        logger: this.#logger,
        onPhase: (phase: string, result: 'ok' | 'failed', seconds: number) => this.#metrics.recordDeployPhase(phase, result, seconds),
      };
      steps.deploying = deployStep({ ...flow, store, catalog, ...(this.#instanceSshPort === undefined ? {} : { sshPort: this.#instanceSshPort }) });
      steps.releasing = wipeThenRelease({ ...flow, store, then: releaseToPool(stepOptions) });
      // With a boot service, inspection boots the ramdisk: it sees every disk and NIC, which a BMC often does not.
      steps.inspecting = inspectInBand({ ...flow, store });
    }
    const reconciler = new Reconciler({
      store,
      steps,
      concurrency: machines.bmcConcurrency,
      logger: this.#logger,
      ...(this.#reconcileIntervalMs === undefined ? {} : { intervalMs: this.#reconcileIntervalMs }),
    });
    const powerSync = new PowerSync({
      store,
      connect: this.#connectBmc,
      clock: this.#clock,
      concurrency: machines.bmcConcurrency,
      intervalMs: machines.powerSyncSeconds * 1000,
      maxFailures: machines.bmcFailuresBeforeError,
      metrics: this.#metrics,
      logger: this.#logger,
    });
    return Promise.allSettled([reconciler.run(signal), powerSync.start(signal)]);
  }

  /** Counts each call by method and result, and recounts machines after each call (a call may allocate or release one). */
  #measured(dispatch: Dispatcher, refreshGauge: () => void): Dispatcher {
    return async (caller, request, context) => {
      // Unknown names share one label, so a caller cannot grow the metric without bound.
      const method = isApiMethod(request.method) ? request.method : 'unknown';
      try {
        const result = await dispatch(caller, request, context);
        this.#metrics.recordApiRequest(method, 'ok');
        return result;
      } catch (err) {
        this.#metrics.recordApiRequest(method, apiResultOf(err));
        throw err;
      } finally {
        refreshGauge();
      }
    };
  }

  #internalError(err: unknown, method: string): void {
    this.#logger.error({ method, err: describe(err) }, 'API call failed inside nimbusd');
  }
}

/** Binds one listener, turning a bind failure into an error that names the listener and the address. */
async function bind<T>(what: string, address: ListenAddress, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : describe(err);
    throw new ListenError(`cannot listen for the ${what} on ${formatListenAddress(address)}: ${why}`, { cause: err });
  }
}

function apiResultOf(err: unknown): ApiResult {
  if (!(err instanceof RpcError)) return 'error';
  switch (err.rpcCode) {
    case RPC_ERRORS.NOT_FOUND:
      return 'not_found';
    case RPC_ERRORS.FORBIDDEN:
      return 'denied';
    case RPC_ERRORS.CONFLICT:
      return 'conflict';
    case RPC_ERRORS.INVALID_PARAMS:
    case RPC_ERRORS.INVALID_REQUEST:
    case RPC_ERRORS.METHOD_NOT_FOUND:
      return 'invalid';
    default:
      return 'error';
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
