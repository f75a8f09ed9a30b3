/**
 * The HTTP server, as a factory testable with `inject`: the web UI at `/`, `GET /health`,
 * `GET /v1/models` and the realtime WebSocket `/v1/realtime`. Every request passes the Host check
 * (DNS-rebinding defence); WebSocket upgrades also pass the Origin check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { EngineStatus } from '../core/engine-status.js';
import type { EngineSet } from '../engines/engine-set.js';
import type { TurnTimeouts } from '../turn/voice-turn.js';
import { MAX_FRAME_BYTES } from './realtime/client-events.js';
import { MAX_SESSIONS_PER_CLIENT } from './realtime/rate-limit.js';
import { DEFAULT_KEEPALIVE, type KeepaliveOptions, SocketKeepalive, idleToEvict } from './realtime/keepalive.js';
import { RealtimeSession } from './realtime/session.js';
import type { Config } from '../config.js';
import { registerApiRoutes, registerConfigRoute } from './api-routes.js';
import { publicConfig } from './public-config.js';
import { registerModelFileRoutes } from './routes/model-files.js';
import { openAIApi, realtimeWithoutUpgrade } from './routes/openai-api.js';
import { registerSecurity } from './security.js';
import type { TutorService } from './tutor-service.js';
import type { TlsFiles } from './tls.js';

/** WebSocket frames above this size close the connection (frames above MAX_FRAME_BYTES only get an error). */
const HARD_FRAME_LIMIT_BYTES = 4 * MAX_FRAME_BYTES;

export interface AppOptions {
  engines: EngineSet;
  logger: Logger;
  /** Directory of the built web UI (index.html); a hint page is served when it is missing. */
  webRoot?: string;
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  tls?: TlsFiles;
  /** Access token required on every request (see security.ts); none when undefined. */
  token?: string;
  /** Hang guards for engine calls (defaults in voice-turn.ts). */
  turnTimeouts?: Partial<TurnTimeouts>;
  /** The tutor: profile, scenarios, persistence, corrections, `/api` routes. */
  tutor?: TutorService;
  voice?: string;
  speed?: number;
  version?: string;
  /** Realtime socket ping, idle timeout and idle eviction (keepalive.ts); defaults in DEFAULT_KEEPALIVE. */
  keepalive?: Partial<KeepaliveOptions>;
  /** The configuration in effect, shown without secrets at `GET /api/config`. */
  config?: Config;
  /**
   * The models directory, for the model files the page runs (`GET /api/models/smart-turn.onnx`);
   * default `config.modelsDir`. Neither: those models are never installed.
   */
  modelsDir?: string;
}

export interface LocalChatApp {
  app: FastifyInstance;
  /** Open realtime sessions. */
  sessions: Set<RealtimeSession>;
}

/**
 * `/health`'s verdict: `ok` when the LLM is ready, some voice speaks (a fallback such as eSpeak NG
 * counts: the configured voice missing is not a fault while another speaks) and speech
 * recognition has not failed (not loaded yet — `idle`, `loading`, `downloading` — is fine);
 * `degraded` otherwise.
 */
export function healthOf(engines: readonly EngineStatus[]): 'ok' | 'degraded' {
  const llm = engines.filter((engine) => engine.kind === 'llm');
  const tts = engines.filter((engine) => engine.kind === 'tts');
  const llmOk = llm.length > 0 && llm.every((engine) => engine.state === 'ready');
  const speaks = tts.some((engine) => engine.state === 'ready');
  const sttOk = engines.every((engine) => engine.kind !== 'stt' || engine.state !== 'error');
  return llmOk && speaks && sttOk ? 'ok' : 'degraded';
}

export async function buildApp(options: AppOptions): Promise<LocalChatApp> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // On close, end keep-alive connections too (an aborted stream can leave one open).
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
  }) as unknown as FastifyInstance;
  const sessions = new Set<RealtimeSession>();
  const sessionsByClient = new Map<RealtimeSession, string>();
  const keepalives = new Map<RealtimeSession, SocketKeepalive>();
  const sockets = new Map<RealtimeSession, WebSocket>();
  const keepalive: KeepaliveOptions = { ...DEFAULT_KEEPALIVE, ...options.keepalive };
  const allowedHosts = options.allowedHosts ?? [];
  const allowedOrigins = options.allowedOrigins ?? [];

  // Registered first, so its hooks mark upgrade requests before the security hooks may refuse
  // them (the plugin then destroys the refused upgrade's socket).
  // Shutting down (SIGTERM): a response in progress ends as cancelled with its response.done, and
  // every socket closes with 1001 "going away" (RFC 6455, section 7.4.1) before the server stops
  // (the plugin's default closes them with no code, which clients see as 1005).
  const closeSockets = async (): Promise<void> => {
    const closing = [...sockets].map(([session, socket]) => {
      session.shutdown();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1001, 'The server is shutting down');
      return closed;
    });
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 1000))]);
  };
  await app.register(fastifyWebsocket, {
    options: { maxPayload: HARD_FRAME_LIMIT_BYTES },
    preClose(this: FastifyInstance, done: () => void) {
      void closeSockets().finally(() => this.websocketServer.close(() => done()));
    },
  });

  await registerSecurity(app, { token: options.token, allowedHosts, allowedOrigins, tls: options.tls !== undefined });

  app.get('/health', async () => {
    const engines = options.engines.status();
    return { status: healthOf(engines), version: options.version ?? '0.0.0', engines };
  });

  // The OpenAI-compatible REST API: chat completions, speech, transcriptions, models.
  await app.register(openAIApi, { engines: options.engines });

  app.get(
    '/v1/realtime',
    {
      websocket: true,
      onSend: realtimeWithoutUpgrade,
      preValidation: async (request, reply) => {
        let open = [...sessionsByClient.entries()].filter(([, address]) => address === request.ip).map(([session]) => session);
        // Sessions idle long enough make room (a local process's idle sockets cannot lock the UI out).
        const evict = idleToEvict(open.flatMap((session) => { const alive = keepalives.get(session); return alive ? [{ session, alive, idleForMs: () => alive.idleForMs() }] : []; }), MAX_SESSIONS_PER_CLIENT, keepalive.evictIdleAfterMs);
        for (const { session, alive } of evict) {
          request.log.info({ session: session.id }, 'closing an idle realtime session to make room for a new one');
          sessionsByClient.delete(session);
          alive.evict();
        }
        open = open.filter((session) => sessionsByClient.has(session));
        if (open.length >= MAX_SESSIONS_PER_CLIENT) {
          return reply.code(429).send({ error: { type: 'rate_limit_exceeded', code: 'too_many_sessions', message: `At most ${MAX_SESSIONS_PER_CLIENT} open sessions per client.` } });
        }
      },
    },
    (socket, request) => {
      let alive: SocketKeepalive | undefined;
      const session = new RealtimeSession({
        engines: options.engines,
        logger: request.log as unknown as Logger,
        voice: options.voice,
        speed: options.speed,
        turnTimeouts: options.turnTimeouts,
        tutor: options.tutor,
        send: (event) => {
          if (socket.readyState !== socket.OPEN) return;
          alive?.touch();
          socket.send(JSON.stringify(event));
        },
      });
      sessions.add(session);
      sockets.set(session, socket);
      sessionsByClient.set(session, request.ip);
      alive = new SocketKeepalive(socket, keepalive, (reason) =>
        request.log.info({ session: session.id, reason }, reason === 'idle' ? 'closing an idle realtime session' : 'closing a realtime session whose peer stopped answering pings'),
      );
      keepalives.set(session, alive);
      request.log.info({ session: session.id }, 'realtime session opened');
      socket.on('message', (data, isBinary) => {
        // Limits (frames, audio by duration, events) are the session's: see realtime/rate-limit.ts.
        if (session.admitFrame()) {
          if (isBinary) session.rejectFrame('invalid_event', 'Binary frames are not supported: send events as JSON text.');
          else session.handleFrame(data.toString());
        }
        if (session.flooding && socket.readyState === socket.OPEN) {
          request.log.warn({ session: session.id }, 'closing a realtime session that keeps flooding');
          socket.close(1008, 'Too many events');
        }
      });
      socket.on('close', () => {
        session.close();
        sessions.delete(session);
        sockets.delete(session);
        sessionsByClient.delete(session);
        keepalives.delete(session);
        request.log.info({ session: session.id }, 'realtime session closed');
      });
      socket.on('error', (error) => request.log.warn({ session: session.id, err: error }, 'realtime socket error'));
      session.start();
    },
  );

  registerConfigRoute(app, () => {
    const address = app.server.address();
    const listening = typeof address === 'object' && address ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : null;
    return publicConfig({ version: options.version ?? '0.0.0', engines: options.engines.status(), config: options.config, voice: options.voice, speed: options.speed, listening });
  });
  if (options.tutor) registerApiRoutes(app, options.tutor);
  registerModelFileRoutes(app, options.modelsDir ?? options.config?.modelsDir ?? null);

  const webRoot = options.webRoot;
  if (webRoot && existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], dotfiles: 'deny' });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>LocalChat</title><p>The web UI is not built yet. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>'),
    );
  }

  app.addHook('onClose', async () => {
    for (const session of sessions) session.close();
    await Promise.all([...sessions].map((session) => session.idle()));
  });

  return { app, sessions };
}
