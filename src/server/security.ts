/**
 * Defences for a local server that every web page its user visits can reach:
 * - Host check (DNS rebinding) and Origin check (cross-site requests and WebSockets) on every route;
 * - an access token when the server is reachable beyond loopback (like Jupyter's): given as
 *   `Authorization: Bearer`, the `localchat_token` cookie (set when the UI is opened with
 *   `?token=`), or `?token=` on a WebSocket upgrade;
 * - CORS only for configured origins; security headers and a Content-Security-Policy (helmet).
 */
import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAllowedHost, isAllowedOrigin } from './host-check.js';

export const TOKEN_COOKIE = 'localchat_token';

export interface SecurityOptions {
  /** Access token every request must carry; undefined: none (loopback only). */
  token?: string;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  tls: boolean;
}

/** True when `address` is a loopback bind address (no token needed there by default). */
export function isLoopback(address: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(address) || address.startsWith('127.');
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function forbidden(reply: FastifyReply, status: number, type: string, message: string) {
  return reply.code(status).send({ error: { type, code: type, message, param: null } });
}

/**
 * Where to send the browser after `?token=` was stored in a cookie: the same path with the other
 * query parameters, and never another site. The path is re-read against a fixed origin (WHATWG
 * URL), so `//evil.example/` or `/\evil.example` cannot become a protocol-relative redirect; a
 * path that would start with `//` is collapsed to one slash.
 * @example sameSitePath('//evil.example/?token=x&lang=en') // '/evil.example/?lang=en'
 */
export function sameSitePath(requestUrl: string): string {
  const url = new URL(`http://localhost/${requestUrl.replace(/^[/\\]+/, '')}`);
  url.searchParams.delete('token');
  const path = `/${url.pathname.replace(/^\/+/, '')}`;
  return `${path}${url.search}`;
}

/** The token a request carries, if any. */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const cookie = request.cookies[TOKEN_COOKIE];
  if (cookie) return cookie;
  const query = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof query === 'string' ? query : undefined;
}

export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // onnxruntime-web (the browser VAD) compiles WebAssembly; nothing else runs but our files.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        workerSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The page loads nothing cross-origin; these would only get in the way of the WASM VAD.
    crossOriginEmbedderPolicy: false,
    hsts: options.tls,
  });
  await app.register(fastifyCors, {
    origin: options.allowedOrigins.length > 0 ? [...options.allowedOrigins] : false,
    credentials: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!isAllowedHost(request.headers.host, options.allowedHosts)) {
      request.log.warn({ host: request.headers.host }, 'refused a request with a foreign Host header');
      return forbidden(reply, 403, 'forbidden', 'Host not allowed. Add it with --allowed-hosts if you trust it.');
    }
    // Browsers send Origin on cross-origin requests and on every WebSocket upgrade: a page from
    // another site must not drive this server, even though its Host is localhost.
    const origin = request.headers.origin;
    const ownOrigin = `${options.tls ? 'https' : 'http'}://${request.headers.host ?? ''}`;
    if (!isAllowedOrigin(origin, ownOrigin, options.allowedOrigins)) {
      request.log.warn({ origin }, 'refused a request from a foreign Origin');
      return forbidden(reply, 403, 'forbidden', 'Origin not allowed. Add it with --allowed-origins if you trust it.');
    }
    if (options.token === undefined) return;
    const given = tokenOf(request);
    if (given !== undefined && sameToken(given, options.token)) {
      // Opening the UI with ?token= stores it in a cookie, so the page and its WebSocket carry it.
      const query = request.query as Record<string, unknown>;
      if (request.method === 'GET' && typeof query.token === 'string' && !request.headers.upgrade) {
        reply.setCookie(TOKEN_COOKIE, options.token, { httpOnly: true, sameSite: 'strict', secure: options.tls, path: '/' });
        return reply.redirect(sameSitePath(request.url));
      }
      return;
    }
    if (request.method === 'GET' && (request.url === '/' || request.url.startsWith('/?')) && !request.headers.upgrade) {
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send('<!doctype html><meta charset="utf-8"><title>LocalChat</title><p>This LocalChat needs its access token. Open the link printed in the terminal where LocalChat runs (it ends with <code>?token=…</code>).</p>');
    }
    return reply.code(401).send({ error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null, message: 'Missing or wrong access token: send "Authorization: Bearer <token>" (printed when LocalChat starts).' } });
  });
}
