/**
 * The deploy of an instance, as the reconcile step of a `deploying` machine:
 *
 *   power  — boot override PXE (next boot only), then power on, or cycle if it was on
 *   pxe    — wait for the machine's network boot to reach the ramdisk (pxe_timeout)
 *   image  — the ramdisk writes and verifies the image and the seed (its class on failure)
 *            then boot override disk, and the ramdisk reboots
 *   ssh    — the reboot, until sshd answers on the address the ramdisk had (ssh_timeout) → `deployed`
 *
 * Safe to repeat after a crash: a boot session that had not written the image yet is
 * abandoned and the deploy starts over with a new token; one that had goes straight to
 * waiting for SSH. Each phase's duration goes to a histogram.
 */
import type { BootConfig, CatalogImage } from '../config/config.ts';
import type { Logger } from '../logging/index.ts';
import type { ConnectBmc } from '../machines/machine-bmc.ts';
import { RECONCILER_ACTOR, StepFailure, type ReconcileStep } from '../machines/reconciler.ts';
import { bmcOperation } from '../machines/steps.ts';
import type { BootSession, BootSessions } from '../state/boot-sessions.ts';
import type { Machine } from '../state/records.ts';
import type { Store } from '../state/store.ts';
import type { AgentFailureClass } from './agent-messages.ts';
import { readDeployRequest } from './deploy-request.ts';
import { BootEventTimeout, type BootEvent, type BootEvents } from './events.ts';
import { inBootSession, openBootSession } from './boot-session-run.ts';
import { waitForSsh } from './ssh-probe.ts';

/** The timed phases; `ssh` runs from the ramdisk's reboot until the image's sshd answers. */
export const DEPLOY_PHASES = ['power', 'pxe', 'image', 'ssh'] as const;
export type DeployPhase = (typeof DEPLOY_PHASES)[number];

export interface DeployFlowOptions {
  store: Pick<Store, 'liveInstanceOf' | 'updateInstanceProgress' | 'transition'>;
  sessions: BootSessions;
  events: BootEvents;
  /** Tokens of the sessions this process opened, by session id; the boot routes read them. */
  tokens: Map<string, string>;
  connect: ConnectBmc;
  boot: Pick<BootConfig, 'pxeTimeoutSeconds' | 'imageTimeoutSeconds' | 'sshTimeoutSeconds'>;
  catalog: () => readonly CatalogImage[];
  logger: Logger;
  /** The port the instance's sshd is probed on; 22 unless a test says otherwise. */
  sshPort?: number;
  onPhase?: (phase: DeployPhase, result: 'ok' | 'failed', seconds: number) => void;
  /** BMC retry pacing (tests shorten it). */
  retryBaseMs?: number;
}

/** What the ramdisk's failure classes mean for the machine's error. */
const AGENT_CLASS: Record<AgentFailureClass, { errorClass: string; hint: string }> = {
  image_checksum: { errorClass: 'image_checksum', hint: "the image file does not match its catalog sha256: rebuild or re-download it and fix the catalog entry; the machine's disk was not touched" },
  disk_write: { errorClass: 'disk_write', hint: "check the machine's target disk (the ramdisk's console log, SMART) and that the image fits it" },
  no_disk: { errorClass: 'disk_write', hint: 'the ramdisk found no disk: check the disk controller (its driver in the ramdisk) and the BIOS/UEFI storage settings' },
  download: { errorClass: 'callback', hint: "the ramdisk could not download the image from nimbusd's boot HTTP server: check the provisioning network and boot.address" },
  callback: { errorClass: 'callback', hint: "the ramdisk could not reach nimbusd's boot HTTP server: check the provisioning network and boot.address" },
};

export function deployStep(options: DeployFlowOptions): ReconcileStep {
  return async (machine, signal) => {
    const instance = options.store.liveInstanceOf(machine.id);
    if (!instance) throw new StepFailure('internal', `machine ${machine.name} is deploying but no instance holds it`, 'release the machine with nimbusd machine commands and retry');
    const request = readDeployRequest(instance.request as Record<string, unknown>, options.catalog());
    if (!request) throw new StepFailure('internal', `instance ${instance.id} asks for no image`, 'this is a bug: a deploy started for an allocation-only instance');
    const phase = (name: DeployPhase): void => {
      options.store.updateInstanceProgress(instance.id, { phase: name });
    };

    // A session that had written the image resumes by waiting for SSH; any other starts over.
    const open = options.sessions.openFor(machine.id);
    const resumable = open?.mode === 'deploy' && open.instanceId === instance.id && (open.phase === 'reboot' || open.phase === 'ssh');
    const first = resumable ? open : openBootSession(options, { machineId: machine.id, instanceId: instance.id, mode: 'deploy', detail: { image: request.image.name } });
    await inBootSession(options, first, signal, async () => {
      let session = first;
      if (!resumable) {
        session = await timed(options, machine, 'power', () => powerPhase(options, machine, session, signal), phase);
        session = await timed(options, machine, 'pxe', () => pxePhase(options, machine, session, signal), phase);
        session = await timed(options, machine, 'image', () => imagePhase(options, machine, session, signal), phase);
      }
      const address = await timed(options, machine, 'ssh', () => sshPhase(options, machine, session, signal), phase);
      options.store.updateInstanceProgress(instance.id, { address, phase: null });
      options.store.transition(machine.id, 'deploying', 'deployed', RECONCILER_ACTOR, { image: request.image.name, address });
      options.sessions.end(session.id, { status: 'ok', address });
      options.logger.info({ machine: machine.id, instance: instance.id, address }, 'instance deployed');
    });
  };
}

async function timed<T>(options: DeployFlowOptions, machine: Machine, name: DeployPhase, run: () => Promise<T>, phase: (name: DeployPhase) => void): Promise<T> {
  phase(name);
  const started = performance.now();
  const done = (result: 'ok' | 'failed'): void => {
    const seconds = (performance.now() - started) / 1000;
    options.onPhase?.(name, result, seconds);
    options.logger.info({ machine: machine.id, name: machine.name, phase: name, result, seconds: Number(seconds.toFixed(2)) }, 'deploy phase done');
  };
  try {
    const result = await run();
    done('ok');
    return result;
  } catch (err) {
    done('failed');
    throw err;
  }
}

export async function powerPhase(options: Pick<DeployFlowOptions, 'connect' | 'retryBaseMs' | 'sessions'>, machine: Machine, session: BootSession, signal: AbortSignal): Promise<BootSession> {
  await bmcOperation({ connect: options.connect, ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }) }, machine, 'network-boot setup', signal, async (client) => {
    if (!client.setBootOverride || !client.setPower || !client.powerState) {
      throw new StepFailure('bmc', `the ${machine.bmc.driver} BMC of ${machine.name} cannot set the boot device and power`, 'check that the driver suits this BMC');
    }
    await client.setBootOverride({ device: 'pxe', persistent: false, mode: machine.bmc.options.bootMode ?? 'uefi' }, signal);
    // A machine that is off is powered on, never cycled: a cycle of an off machine is a wasted BMC round on some firmware.
    const power = await client.powerState(signal);
    await client.setPower(power === 'on' ? 'cycle' : 'on', signal);
  });
  return options.sessions.advance(session.id, 'pxe');
}

export type ResultEvent = Extract<BootEvent, { type: 'result' }>;

/** Waits for the ramdisk's result post; other events go to `onOther`. No result in time is a `callback` failure. */
export async function ramdiskResult(
  options: Pick<DeployFlowOptions, 'events'>,
  machine: Machine,
  session: BootSession,
  timeoutMs: number,
  signal: AbortSignal,
  onOther?: (event: BootEvent) => void,
): Promise<ResultEvent> {
  try {
    return await options.events.waitFor(session.id, (e): e is ResultEvent => e.type === 'result', { timeoutMs, signal, ...(onOther ? { onOther } : {}) });
  } catch (err) {
    if (!(err instanceof BootEventTimeout)) throw err;
    throw new StepFailure('callback', `the ramdisk of ${machine.name} (${session.mode}) sent no result within ${Math.round(timeoutMs / 1000)} s`, "check the machine's console: the ramdisk may have hung or lost the network");
  }
}

export async function pxePhase(options: Pick<DeployFlowOptions, 'events' | 'boot' | 'sessions'>, machine: Machine, session: BootSession, signal: AbortSignal): Promise<BootSession> {
  const timeoutMs = options.boot.pxeTimeoutSeconds * 1000;
  const seen: string[] = [];
  try {
    await options.events.waitFor(session.id, (e): e is Extract<BootEvent, { type: 'instructions' }> => e.type === 'instructions', {
      timeoutMs,
      signal,
      onOther: (e) => seen.push(e.type),
    });
  } catch (err) {
    if (!(err instanceof BootEventTimeout)) throw err;
    const got = seen.includes('script') ? 'iPXE fetched its script but the ramdisk never asked for its instructions' : seen.includes('dhcp') ? 'its DHCP request was answered but iPXE never fetched its script' : 'no DHCP request came from it';
    throw new StepFailure(
      'pxe_timeout',
      `machine ${machine.name} did not network-boot within ${options.boot.pxeTimeoutSeconds} s: ${got}`,
      seen.length === 0
        ? `check that boot MAC ${machine.bootMacs.join(', ')} has link on the provisioning network, that network boot is enabled in its firmware, and (proxy DHCP) that nimbusd hears the site's DHCP traffic`
        : 'check the ramdisk files in boot.ramdisk_dir and the machine console for iPXE or kernel errors',
    );
  }
  return options.sessions.advance(session.id, 'image');
}

async function imagePhase(options: DeployFlowOptions, machine: Machine, session: BootSession, signal: AbortSignal): Promise<BootSession> {
  const event = await ramdiskResult(options, machine, session, options.boot.imageTimeoutSeconds * 1000, signal);
  const { result } = event;
  if (result.status === 'failed') {
    event.respond('poweroff');
    const meaning = AGENT_CLASS[result.class];
    throw new StepFailure(meaning.errorClass, `the ramdisk reported ${result.class}: ${result.message || 'no detail'}`, meaning.hint);
  }
  try {
    await bmcOperation({ connect: options.connect, ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }) }, machine, 'boot device change', signal, async (client) => {
      await client.setBootOverride!({ device: 'disk', persistent: false, mode: machine.bmc.options.bootMode ?? 'uefi' }, signal);
    });
  } finally {
    // The ramdisk waits for this answer; it must get one whatever the BMC did.
    event.respond('reboot');
  }
  return options.sessions.advance(session.id, 'reboot', { ip: result.ip ?? null, disk: result.disk ?? null });
}

async function sshPhase(options: DeployFlowOptions, machine: Machine, session: BootSession, signal: AbortSignal): Promise<string> {
  const ip = session.detail.ip;
  if (typeof ip !== 'string') {
    throw new StepFailure('ssh_timeout', `the ramdisk of ${machine.name} reported no address`, "the ramdisk got no DHCP lease it could report: check the provisioning network's DHCP");
  }
  options.sessions.advance(session.id, 'ssh');
  const answered = await waitForSsh(ip, options.sshPort ?? 22, { timeoutMs: options.boot.sshTimeoutSeconds * 1000, signal });
  if (!answered) {
    throw new StepFailure(
      'ssh_timeout',
      `the instance on ${machine.name} did not answer SSH at ${ip} within ${options.boot.sshTimeoutSeconds} s`,
      "check the machine's console: did it boot from its disk (boot order), and did the image start sshd and get the same address?",
    );
  }
  return ip;
}

/** The step of an `allocated` machine: an instance that asks for an image starts deploying. */
export function startDeployStep(options: Pick<DeployFlowOptions, 'store' | 'catalog'>): ReconcileStep {
  return async (machine) => {
    const instance = options.store.liveInstanceOf(machine.id);
    if (!instance || !readDeployRequest(instance.request as Record<string, unknown>, options.catalog())) return;
    options.store.transition(machine.id, 'allocated', 'deploying', RECONCILER_ACTOR, { instance: instance.id });
  };
}
