import { describe, expect, it } from 'vitest';
import { EscapeFilter } from './escape.ts';

function run(...chunks: string[]): { sent: string; commands: string[] } {
  const filter = new EscapeFilter();
  let sent = '';
  const commands: string[] = [];
  for (const chunk of chunks) {
    const { forward, commands: c } = filter.feed(Buffer.from(chunk, 'latin1'));
    sent += forward.toString('latin1');
    commands.push(...c);
  }
  return { sent, commands };
}

describe('console escapes', () => {
  it('leaves on ~. at the very start and after Enter, and sends nothing after it', () => {
    expect(run('~.')).toEqual({ sent: '', commands: ['leave'] });
    expect(run('ls\r~.rm -rf /\r')).toEqual({ sent: 'ls\r', commands: ['leave'] });
    expect(run('uptime\n', '~', '.')).toEqual({ sent: 'uptime\n', commands: ['leave'] });
  });

  it('passes a tilde in the middle of a line untouched', () => {
    expect(run('cd ~.\r')).toEqual({ sent: 'cd ~.\r', commands: [] });
  });

  it('sends one tilde for ~~ and keeps a tilde before any other key', () => {
    expect(run('~~.')).toEqual({ sent: '~.', commands: [] });
    expect(run('~x')).toEqual({ sent: '~x', commands: [] });
    expect(run('\r~\r~.')).toEqual({ sent: '\r~\r', commands: ['leave'] });
  });

  it('lists the sequences on ~? and goes on', () => {
    expect(run('~?', 'a')).toEqual({ sent: 'a', commands: ['help'] });
  });

  it('passes binary bytes, Ctrl-C included, unchanged', () => {
    const bytes = Buffer.from([0x03, 0x00, 0xff, 0x1b, 0x5b, 0x41]);
    const { forward } = new EscapeFilter().feed(Buffer.concat([Buffer.from('x'), bytes]));
    expect(forward).toEqual(Buffer.concat([Buffer.from('x'), bytes]));
  });
});
