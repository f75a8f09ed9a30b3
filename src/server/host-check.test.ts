import { describe, expect, it } from 'vitest';
import { isAllowedHost, isAllowedOrigin, parseHost } from './host-check.js';

describe('isAllowedHost', () => {
  it('accepts loopback names and IP literals with or without a port', () => {
    for (const host of ['localhost', 'localhost:8000', '127.0.0.1:8000', '[::1]:8000', '192.168.1.20:8000', 'app.localhost:1']) {
      expect(isAllowedHost(host, []), host).toBe(true);
    }
  });
  it('refuses other names unless configured (DNS rebinding)', () => {
    expect(isAllowedHost('evil.example', [])).toBe(false);
    expect(isAllowedHost('evil.example:8000', [])).toBe(false);
    expect(isAllowedHost('localhost.evil.example', [])).toBe(false);
    expect(isAllowedHost(undefined, [])).toBe(false);
    expect(isAllowedHost('tutor.lan:8000', ['tutor.lan'])).toBe(true);
  });
  it('parses hosts', () => {
    expect(parseHost('[::1]:80')).toEqual({ name: '[::1]', port: '80' });
    expect(parseHost('a b')).toBeNull();
  });
});

describe('isAllowedOrigin', () => {
  it('allows the own origin, configured ones and clients without Origin', () => {
    expect(isAllowedOrigin('http://localhost:8000', 'http://localhost:8000', [])).toBe(true);
    expect(isAllowedOrigin(undefined, 'http://localhost:8000', [])).toBe(true);
    expect(isAllowedOrigin('https://tutor.lan/', 'http://localhost:8000', ['https://tutor.lan'])).toBe(true);
  });
  it('refuses other origins, also other ports of the same host', () => {
    expect(isAllowedOrigin('http://evil.example', 'http://localhost:8000', [])).toBe(false);
    expect(isAllowedOrigin('http://localhost:3000', 'http://localhost:8000', [])).toBe(false);
    expect(isAllowedOrigin('null', 'http://localhost:8000', [])).toBe(false);
  });
});
