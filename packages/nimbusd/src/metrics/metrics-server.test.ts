import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNimbusMetrics, type NimbusMetrics } from './nimbus-metrics.ts';
import { MetricsServer } from './metrics-server.ts';

/** Sends raw bytes and returns everything the server answers before it closes the connection. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/** The value of one sample line `name{labels} value` in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('MetricsServer', () => {
  let metrics: NimbusMetrics;
  let server: MetricsServer;
  let base: string;
  let port: number;

  beforeEach(async () => {
    metrics = createNimbusMetrics();
    server = new MetricsServer({ registry: metrics.registry, port: 0 });
    const address = await server.listen();
    port = address.port;
    base = `http://127.0.0.1:${port}`;
  });

  afterEach(async () => {
    await server.close();
  });

  it('binds loopback by default', async () => {
    expect((await server.listen()).address).toBe('127.0.0.1');
  });

  it('serves the registry on GET /metrics, in the Prometheus text format', async () => {
    metrics.setMachinesByState({ ready: 7, deployed: 3 });
    metrics.recordTransition('ready', 'allocated', 0.2);
    metrics.recordBmcCall('ipmi', 'power.status', 'timeout', 5);
    metrics.recordApiRequest('instances.create', 'ok');
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'nimbusd_machines{state="ready"}')).toBe(7);
    expect(sample(text, 'nimbusd_machines{state="error"}')).toBe(0);
    expect(sample(text, 'nimbusd_machine_transitions_total{from="ready",to="allocated"}')).toBe(1);
    expect(sample(text, 'nimbusd_machine_transition_duration_seconds_bucket{le="0.5",from="ready",to="allocated"}')).toBe(1);
    expect(sample(text, 'nimbusd_bmc_call_errors_total{driver="ipmi",operation="power.status",result="timeout"}')).toBe(1);
    expect(sample(text, 'nimbusd_api_requests_total{method="instances.create",result="ok"}')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('answers 404 for any other path', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(404);
    expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
  });

  it('answers 405 with Allow for a method other than GET', async () => {
    const res = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/metrics`, { method: 'DELETE' })).status).toBe(405);
  });

  it.each([
    ['a request line of garbage', '\x00\x01garbage that is not HTTP\r\n\r\n'],
    ['a method that is not a token', 'G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /metrics HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'],
    ['an oversized header', `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`],
  ])('answers %s with 400 and keeps serving', async (_what, bytes) => {
    const answer = await rawRequest(port, bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
  });

  it('serve(signal) serves until aborted, then closes the port', async () => {
    const other = new MetricsServer({ registry: metrics.registry, port: 0 });
    const { port: otherPort } = await other.listen();
    const controller = new AbortController();
    const serving = other.serve(controller.signal);
    expect((await fetch(`http://127.0.0.1:${otherPort}/metrics`)).status).toBe(200);
    controller.abort();
    await serving;
    await expect(fetch(`http://127.0.0.1:${otherPort}/metrics`)).rejects.toThrow();
  });

  it('serve(signal) rejects when the port is taken', async () => {
    const clash = new MetricsServer({ registry: metrics.registry, port });
    await expect(clash.serve(new AbortController().signal)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
