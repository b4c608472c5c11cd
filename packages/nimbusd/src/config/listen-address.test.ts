import { describe, expect, it } from 'vitest';
import { formatListenAddress, parseListenAddress } from './listen-address.ts';

describe('parseListenAddress', () => {
  it.each([
    ['0.0.0.0:2222', { host: '0.0.0.0', port: 2222 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['nimbus.example.com:22', { host: 'nimbus.example.com', port: 22 }],
  ])('reads %s', (text, address) => {
    expect(parseListenAddress(text)).toEqual(address);
    expect(formatListenAddress(address)).toBe(text);
  });

  it.each(['0.0.0.0', ':2222', '0.0.0.0:0', '0.0.0.0:65536', '::1:22', 'host:22x'])('refuses %s', (text) => {
    expect(parseListenAddress(text)).toBeUndefined();
  });
});
