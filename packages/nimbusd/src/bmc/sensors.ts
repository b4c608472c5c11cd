export type SensorKind = 'temperature' | 'fan' | 'power' | 'voltage' | 'current' | 'other';

export interface SensorReading {
  name: string;
  kind: SensorKind;
  /** null when the sensor exists but gave no reading (e.g. "no reading" in IPMI). */
  value: number | null;
  /** 'C', 'RPM', 'W', 'V', 'A', or what the BMC says. */
  unit: string;
  status?: 'ok' | 'warning' | 'critical';
}

export interface SensorReader {
  sensors(signal?: AbortSignal): Promise<SensorReading[]>;
}
