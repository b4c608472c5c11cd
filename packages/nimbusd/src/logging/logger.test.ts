import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from './logger.ts';

/** A destination that keeps every line written to it. */
function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = (): string => chunks.join('');
  return { stream, text, lines: () => text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRETS = ['hunter2-bmc-password', 'tok-9f8e7d6c', 'Bearer abc.def.ghi', '0123456789abcdef0123456789abcdef01234567'];

describe('createLogger', () => {
  it('writes JSON lines with a level name and the logger name', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).info({ machine: 'm-1' }, 'enrolled');
    expect(out.lines()[0]).toMatchObject({ level: 'info', name: 'nimbusd', machine: 'm-1', msg: 'enrolled' });
  });

  it('prints [Redacted] for a password and never the password itself', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).info({ password: SECRETS[0], user: 'root' }, 'bmc login');
    expect(out.lines()[0]).toMatchObject({ password: '[Redacted]', user: 'root' });
    expect(out.text()).not.toContain(SECRETS[0]);
  });

  it('redacts secrets nested in objects, in a child logger, and in authorization headers', () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', destination: out.stream }).child({ subsystem: 'bmc', bmc: { host: 'bmc7', password: SECRETS[0] } });
    logger.debug({ session: { token: SECRETS[1] }, req: { headers: { authorization: SECRETS[2] } }, ipmi: { kg: SECRETS[3] } }, 'call');
    const line = out.lines()[0]!;
    expect(line).toMatchObject({
      bmc: { host: 'bmc7', password: '[Redacted]' },
      session: { token: '[Redacted]' },
      req: { headers: { authorization: '[Redacted]' } },
      ipmi: { kg: '[Redacted]' },
    });
    for (const secret of SECRETS) expect(out.text()).not.toContain(secret);
  });

  it('writes nothing below its level', () => {
    const out = capture();
    createLogger({ level: 'warn', destination: out.stream }).info('hidden');
    expect(out.text()).toBe('');
  });
});

describe('silentLogger', () => {
  it('is silent at every level', () => {
    const logger = silentLogger();
    expect(logger.level).toBe('silent');
    expect(logger.isLevelEnabled('fatal')).toBe(false);
  });
});
