/**
 * DNS-rebinding and cross-site WebSocket defence.
 *
 * A web page on evil.example can make the browser resolve its own name to 127.0.0.1 and then talk
 * to a local server with `Host: evil.example` (DNS rebinding). So a request is served only when
 * its Host is a loopback name, an IP literal (rebinding needs a domain name the attacker
 * controls), or a name the user configured. Browsers always send `Origin` on WebSocket upgrades;
 * a page from another origin must not open the realtime socket, so an upgrade's Origin must be the
 * server's own origin or a configured one. Clients that are not browsers send no Origin.
 */
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Splits a Host header into its name (brackets kept for IPv6) and port. */
export function parseHost(host: string): { name: string; port?: string } | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!match) return null;
  return { name: match[1]!.toLowerCase(), port: match[2] };
}

/**
 * @param hostHeader the request's Host header (undefined if missing)
 * @param allowedHosts extra names the user configured (`--allowed-hosts`)
 */
export function isAllowedHost(hostHeader: string | undefined, allowedHosts: readonly string[]): boolean {
  if (!hostHeader) return false;
  const parsed = parseHost(hostHeader);
  if (!parsed) return false;
  const { name } = parsed;
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) return true;
  return allowedHosts.some((allowed) => allowed.toLowerCase() === name);
}

/**
 * @param origin the upgrade request's Origin header (undefined for non-browser clients)
 * @param ownOrigin `http(s)://<Host header>` of the request itself
 * @param allowedOrigins extra origins the user configured (`--allowed-origins`)
 */
export function isAllowedOrigin(origin: string | undefined, ownOrigin: string, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalized = origin.toLowerCase().replace(/\/$/, '');
  if (normalized === ownOrigin.toLowerCase()) return true;
  return allowedOrigins.some((allowed) => allowed.toLowerCase().replace(/\/$/, '') === normalized);
}
