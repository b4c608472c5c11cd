/**
 * What the deploy ramdisk posts back: progress, the result, and (in inspect mode) the
 * machine's hardware. Bodies are small forms or JSON from a busybox shell; everything is
 * checked against the deploy contract and refused with what was wrong.
 */
import { AgentMessageError } from './errors.ts';

export const AGENT_PHASES = ['boot', 'download', 'verify', 'write', 'seed', 'wipe', 'inspect'] as const;
export type AgentPhase = (typeof AGENT_PHASES)[number];
export const FAILURE_CLASSES = ['image_checksum', 'disk_write', 'download', 'no_disk', 'callback'] as const;
export type AgentFailureClass = (typeof FAILURE_CLASSES)[number];

export interface AgentProgress {
  phase: AgentPhase;
  done: number;
  total: number;
}

export type AgentResult = { status: 'ok'; ip: string | undefined; disk: string | undefined } | { status: 'failed'; class: AgentFailureClass; message: string };

export interface AgentInventory {
  cpus: { count: number; model: string };
  memoryBytes: number;
  disks: { name: string; sizeBytes: number; model: string; rotational: boolean }[];
  nics: { name: string; mac: string; speedMbps: number | null }[];
  system: { vendor: string; product: string; serial: string };
}

const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const DISK = /^\/dev\/[a-z0-9]{2,32}$/;

export function parseProgress(body: string): AgentProgress {
  const form = new URLSearchParams(body);
  const phase = form.get('phase');
  if (!phase || !(AGENT_PHASES as readonly string[]).includes(phase)) throw new AgentMessageError(`progress: phase ${JSON.stringify(phase)} is not one of ${AGENT_PHASES.join(', ')}`);
  return { phase: phase as AgentPhase, done: count(form, 'done'), total: count(form, 'total') };
}

export function parseResult(body: string): AgentResult {
  const form = new URLSearchParams(body);
  const status = form.get('status');
  if (status === 'ok') {
    const ip = form.get('ip') || undefined;
    if (ip !== undefined && !IPV4.test(ip)) throw new AgentMessageError(`result: ip ${JSON.stringify(ip.slice(0, 40))} is not an IPv4 address`);
    const disk = form.get('disk') || undefined;
    if (disk !== undefined && !DISK.test(disk)) throw new AgentMessageError(`result: disk ${JSON.stringify(disk.slice(0, 40))} is not a /dev/ name`);
    return { status: 'ok', ip, disk };
  }
  if (status === 'failed') {
    const klass = form.get('class');
    if (!klass || !(FAILURE_CLASSES as readonly string[]).includes(klass)) throw new AgentMessageError(`result: class ${JSON.stringify(klass)} is not one of ${FAILURE_CLASSES.join(', ')}`);
    const message = (form.get('message') ?? '').replace(/[^A-Za-z0-9._ :/()=-]/g, '_').slice(0, 300);
    return { status: 'failed', class: klass as AgentFailureClass, message };
  }
  throw new AgentMessageError(`result: status ${JSON.stringify(status)} must be ok or failed`);
}

export function parseInventory(body: string): AgentInventory {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new AgentMessageError(`inventory: not JSON (${(err as Error).message})`);
  }
  const v = value as Partial<AgentInventory> | null;
  const problems: string[] = [];
  if (!v || typeof v !== 'object') throw new AgentMessageError('inventory: expected an object');
  if (!Number.isInteger(v.cpus?.count) || (v.cpus?.count ?? 0) < 1) problems.push('cpus.count must be a whole number ≥ 1');
  if (!Number.isInteger(v.memoryBytes) || (v.memoryBytes ?? 0) < 1) problems.push('memoryBytes must be a whole number ≥ 1');
  if (!Array.isArray(v.disks) || v.disks.length > 256) problems.push('disks must be a list of at most 256');
  if (!Array.isArray(v.nics) || v.nics.length > 256) problems.push('nics must be a list of at most 256');
  (Array.isArray(v.nics) ? v.nics : []).forEach((n, i) => {
    if (typeof n?.mac !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(n.mac.toLowerCase())) problems.push(`nics[${i}].mac is not a MAC address`);
  });
  (Array.isArray(v.disks) ? v.disks : []).forEach((d, i) => {
    if (typeof d?.name !== 'string' || !Number.isInteger(d.sizeBytes)) problems.push(`disks[${i}] needs a name and a whole sizeBytes`);
  });
  if (problems.length > 0) throw new AgentMessageError(`inventory: ${problems.join('; ')}`);
  return {
    cpus: { count: v.cpus!.count, model: String(v.cpus!.model ?? '') },
    memoryBytes: v.memoryBytes!,
    disks: v.disks!.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, model: String(d.model ?? ''), rotational: d.rotational === true })),
    nics: v.nics!.map((n) => ({ name: String(n.name ?? ''), mac: n.mac.toLowerCase(), speedMbps: Number.isInteger(n.speedMbps) ? n.speedMbps : null })),
    system: { vendor: String(v.system?.vendor ?? ''), product: String(v.system?.product ?? ''), serial: String(v.system?.serial ?? '') },
  };
}

function count(form: URLSearchParams, name: string): number {
  const text = form.get(name) ?? '0';
  const n = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(n)) throw new AgentMessageError(`progress: ${name} ${JSON.stringify(text.slice(0, 20))} is not a whole number`);
  return n;
}
