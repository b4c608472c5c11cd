import type { SensorKind, SensorReading } from '../../sensors.ts';
import { linkOf } from './inventory.ts';
import type { Json, RedfishTransport } from './transport.ts';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusOf(r: Json): SensorReading['status'] {
  const health = isObject(r['Status']) ? r['Status']['Health'] : undefined;
  if (health === 'OK') return 'ok';
  if (health === 'Warning') return 'warning';
  if (health === 'Critical') return 'critical';
  return undefined;
}

function reading(r: Json, kind: SensorKind, valueKey: string, unit: string): SensorReading | null {
  const name = r['Name'] ?? r['FanName'] ?? r['MemberId'];
  if (typeof name !== 'string') return null;
  const value = r[valueKey];
  const out: SensorReading = { name, kind, value: typeof value === 'number' ? value : null, unit };
  const status = statusOf(r);
  if (status !== undefined) out.status = status;
  return out;
}

function list(body: Json, key: string): Json[] {
  const items = body[key];
  return Array.isArray(items) ? items.filter(isObject) : [];
}

/** Temperatures, fans, power and voltages from a Chassis' (deprecated but common) Thermal and Power resources. */
export async function readSensors(transport: RedfishTransport, chassis: Json, signal?: AbortSignal): Promise<SensorReading[]> {
  const out: (SensorReading | null)[] = [];
  const thermal = linkOf(chassis, 'Thermal');
  if (thermal !== undefined) {
    const { body } = await transport.get(thermal, signal);
    out.push(...list(body, 'Temperatures').map((t) => reading(t, 'temperature', 'ReadingCelsius', 'C')));
    out.push(...list(body, 'Fans').map((f) => reading(f, 'fan', 'Reading', typeof f['ReadingUnits'] === 'string' && f['ReadingUnits'] === 'Percent' ? '%' : 'RPM')));
  }
  const power = linkOf(chassis, 'Power');
  if (power !== undefined) {
    const { body } = await transport.get(power, signal);
    out.push(...list(body, 'PowerControl').map((p) => reading(p, 'power', 'PowerConsumedWatts', 'W')));
    out.push(...list(body, 'Voltages').map((v) => reading(v, 'voltage', 'ReadingVolts', 'V')));
  }
  return out.filter((r): r is SensorReading => r !== null);
}
