import { describe, expect, it } from 'vitest';
import { HttpBadRequestError } from './errors.ts';
import { parseRequestTarget } from './request-target.ts';

describe('parseRequestTarget', () => {
  it.each([
    ['/', []],
    ['/images/debian.img', ['images', 'debian.img']],
    ['/images/deb%20ian%2Bx.img', ['images', 'deb ian+x.img']],
    ['/images/', ['images', '']],
    ['//x', ['', 'x']],
    ['/a/%C3%A9t%C3%A9', ['a', 'été']],
  ])('splits and decodes %s', (url, segments) => {
    expect(parseRequestTarget(url).segments).toEqual(segments);
  });

  it('keeps the raw path apart from the query, and parses the query', () => {
    const target = parseRequestTarget('/ipxe/a%20b?mac=52:54:00:aa:bb:cc&token=t1&token=t2');
    expect(target.rawPath).toBe('/ipxe/a%20b');
    expect(target.query.get('mac')).toBe('52:54:00:aa:bb:cc');
    expect(target.query.getAll('token')).toEqual(['t1', 't2']);
  });

  it.each([
    ['an encoded slash', '/images/a%2Fb'],
    ['an encoded backslash', '/images/a%5Cb'],
    ['an encoded dot-dot segment', '/images/%2e%2e/etc/passwd'],
    ['an encoded dot-dot with upper-case hex', '/images/%2E%2E'],
    ['a literal dot-dot segment', '/images/../etc/passwd'],
    ['a dot-dot inside a segment', '/images/a..b'],
    ['a single-dot segment', '/images/./a'],
    ['an encoded NUL', '/images/a%00b'],
    ['an encoded newline', '/images/a%0Ab'],
    ['a malformed percent-encoding', '/images/a%zzb'],
    ['a truncated percent-encoding', '/images/a%2'],
    ['an invalid UTF-8 sequence', '/images/%C3'],
    ['absolute-form', 'http://example.test/images/a'],
    ['asterisk-form', '*'],
    ['an empty target', ''],
    ['a fragment', '/images/a#b'],
  ])('refuses %s with HttpBadRequestError', (_what, url) => {
    expect(() => parseRequestTarget(url)).toThrow(HttpBadRequestError);
  });

  it('names the segment at fault but not its content', () => {
    expect(() => parseRequestTarget('/a/s3cr3t%00')).toThrow(/segment 2/);
    expect(() => parseRequestTarget('/a/s3cr3t%00')).not.toThrow(/s3cr3t/);
  });
});
