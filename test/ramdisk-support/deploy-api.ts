/**
 * The nimbusd side of the deploy contract, as small as the ramdisk tests need: the four
 * /deploy/v1 endpoints plus the files a scenario serves (image, seed), all behind one bearer
 * token, on 127.0.0.1. Everything the agent sends is recorded for the test to check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server answers for one boot. */
export interface DeployScenario {
  token: string;
  /** The instruction lines (key=value), in order, or the exact body to answer. */
  instructions: ReadonlyArray<readonly [string, string]> | string;
  /** Files served with the token, by path (e.g. `/images/test.img.gz`, `/seed/meta-data`); others are 404. */
  files: ReadonlyMap<string, Buffer>;
  /** The action answered to the result post. */
  action: 'reboot' | 'poweroff' | 'wait';
  /** Answer this many result posts with 503 before accepting one (default 0). */
  resultFailures?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Whether the Authorization header carried the scenario's token. */
  authorized: boolean;
}

export interface ProgressPost {
  phase: string;
  done: number;
  total: number;
}

/** What the agent did during one boot, as the server saw it. */
export interface DeployRecord {
  requests: RecordedRequest[];
  progress: ProgressPost[];
  /** The result form, once posted with the right token. */
  result?: Record<string, string>;
  /** performance.now() when the result arrived. */
  resultAt?: number;
  /** The inventory document, once posted with the right token. */
  inventory?: unknown;
  /** Request bodies that were not what the contract says (for the test to show). */
  protocolErrors: string[];
}

const MAX_BODY = 1 << 20;

export class FakeDeployApi {
  private scenario: DeployScenario | undefined;
  private record: DeployRecord = FakeDeployApi.emptyRecord();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(): Promise<FakeDeployApi> {
    const api = new FakeDeployApi();
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(0, '127.0.0.1', () => resolve());
    });
    return api;
  }

  private static emptyRecord(): DeployRecord {
    return { requests: [], progress: [], protocolErrors: [] };
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Serves `scenario` from now on; returns the record it fills. */
  use(scenario: DeployScenario): DeployRecord {
    this.scenario = scenario;
    this.record = FakeDeployApi.emptyRecord();
    return this.record;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
  }

  private answer(req: IncomingMessage, body: string, res: ServerResponse): void {
    const record = this.record;
    const scenario = this.scenario;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const authorized = scenario !== undefined && req.headers.authorization === `Bearer ${scenario.token}`;
    const reply = (status: number, text: string, type = 'text/plain'): void => {
      record.requests.push({ method: req.method ?? '?', path, status, authorized });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!scenario || !authorized) return reply(403, 'forbidden\n');

    if (req.method === 'GET' && path === '/deploy/v1/instructions') {
      const text = typeof scenario.instructions === 'string' ? scenario.instructions : scenario.instructions.map(([k, v]) => `${k}=${v}\n`).join('');
      return reply(200, text);
    }
    if (req.method === 'POST' && path === '/deploy/v1/progress') {
      const form = new URLSearchParams(body);
      const post = { phase: form.get('phase') ?? '', done: Number(form.get('done')), total: Number(form.get('total')) };
      if (!/^(boot|download|verify|write|seed|wipe|inspect)$/.test(post.phase) || !Number.isInteger(post.done) || !Number.isInteger(post.total)) {
        record.protocolErrors.push(`bad progress body: ${body}`);
        return reply(400, 'bad progress\n');
      }
      record.progress.push(post);
      return reply(204, '');
    }
    if (req.method === 'POST' && path === '/deploy/v1/result') {
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') record.protocolErrors.push(`result content-type ${req.headers['content-type']}`);
      if (record.requests.filter((r) => r.path === path).length < (scenario.resultFailures ?? 0)) return reply(503, 'try later\n');
      record.result = Object.fromEntries(new URLSearchParams(body));
      record.resultAt = performance.now();
      return reply(200, `action=${scenario.action}\n`);
    }
    if (req.method === 'POST' && path === '/deploy/v1/inventory') {
      if (req.headers['content-type'] !== 'application/json') record.protocolErrors.push(`inventory content-type ${req.headers['content-type']}`);
      try {
        record.inventory = JSON.parse(body);
      } catch (err) {
        record.protocolErrors.push(`inventory is not JSON (${(err as Error).message}): ${body.slice(0, 200)}`);
        return reply(400, 'bad json\n');
      }
      return reply(204, '');
    }
    const file = req.method === 'GET' ? scenario.files.get(path) : undefined;
    if (file) {
      record.requests.push({ method: 'GET', path, status: 200, authorized });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length });
      res.end(file);
      return;
    }
    return reply(404, 'not found\n');
  }
}
