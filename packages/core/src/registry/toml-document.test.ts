import { describe, expect, it } from 'vitest';
import { formatProblem } from './problem.ts';
import { compileTomlDocument } from './toml-document.ts';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['server'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'port'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        mode: { type: 'string', enum: ['fast', 'safe'] },
      },
    },
  },
};

interface Doc {
  server: { name: string; port: number; mode?: string };
}

const check = compileTomlDocument<Doc>(schema);
const lines = (text: string): string[] => {
  const result = check('app.toml', text);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('compileTomlDocument', () => {
  it('returns the value of a valid document', () => {
    const result = check('app.toml', '[server]\nname = "web"\nport = 80\n');
    expect(result).toEqual({ ok: true, value: { server: { name: 'web', port: 80 } }, problems: [] });
  });

  it('reports a syntax error at its line and column', () => {
    const result = check('app.toml', '[server]\nname = "web\n');
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ file: 'app.toml', line: 2, code: 'toml-syntax' });
  });

  it('reports every schema problem at its line and column, in source order', () => {
    expect(lines('[server]\nport = "80"\nmode = "slow"\nnmae = "x"\n')).toEqual([
      'app.toml:1:1: missing key "name" in [server]',
      'app.toml:2:8: server.port: expected an integer, got the string "80"',
      'app.toml:3:8: server.mode: must be one of "fast", "safe"; got "slow"',
      'app.toml:4:1: unknown key "nmae" in [server] (did you mean "name"?)',
    ]);
  });

  it('groups the missing keys of one table into one problem', () => {
    expect(lines('\n[server]\n')).toEqual(['app.toml:2:1: missing keys "name", "port" in [server]']);
  });

  it('reports a number out of range as such', () => {
    const result = check('app.toml', '[server]\nname = "web"\nport = 70000\n');
    expect(result.problems).toMatchObject([{ line: 3, col: 8, code: 'out-of-range' }]);
  });

  it('words a pattern with the caller’s hint instead of the regular expression', () => {
    const hinted = compileTomlDocument<Doc>(schema, { patternHints: new Map([['^[a-z]+$', 'lower-case letters only']]) });
    const result = hinted('app.toml', '[server]\nname = "Web1"\nport = 80\n');
    expect(result.problems.map(formatProblem)).toEqual([
      'app.toml:2:8: server.name: "Web1" is not valid here; expected lower-case letters only',
    ]);
  });

  it('positions the findings of the caller’s own check, run only on a schema-valid document', () => {
    let calls = 0;
    const strict = compileTomlDocument<Doc>(schema, {
      check: (doc) => {
        calls++;
        return doc.server.port < 1024 ? [{ path: ['server', 'port'], message: 'server.port: below 1024 needs root' }] : [];
      },
    });
    expect(strict('app.toml', '[server]\nname = 1\nport = 80\n').ok).toBe(false);
    expect(calls).toBe(0);
    const result = strict('app.toml', '[server]\nname = "web"\nport = 80\n');
    expect(calls).toBe(1);
    expect(result.problems).toEqual([
      { file: 'app.toml', line: 3, col: 8, code: 'inconsistent', message: 'server.port: below 1024 needs root' },
    ]);
  });

  it('refuses bytes that are not UTF-8, at the bad byte', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('[server]\nname = "'), 0xff, 0x22, 0x0a]);
    const result = check('app.toml', bytes);
    expect(result.problems).toMatchObject([{ line: 2, code: 'not-utf8' }]);
  });

  it('throws at compile time on a schema that strict mode rejects', () => {
    expect(() => compileTomlDocument({ type: 'object', properties: { a: { tpye: 'string' } } })).toThrow();
  });
});
