/**
 * The OpenAI-compatible REST API as one Fastify plugin: `GET /v1/models` (and
 * `/v1/models/:model`), `POST /v1/chat/completions`, `POST /v1/audio/speech`,
 * `POST /v1/audio/transcriptions`, `POST /v1/responses` (and `GET`/`DELETE /v1/responses/:id`).
 * Each route answers errors in OpenAI's shape (openai-errors.ts), and so does any other `/v1/...`
 * URL: a known path with another method is 405 `method_not_allowed` with an `Allow` header, an
 * unknown path 404 `unknown_url`. `GET /v1/realtime` without a WebSocket upgrade is answered by
 * {@link realtimeWithoutUpgrade} (registered on that route in app.ts).
 *
 * Register it after the security hooks (Host/Origin/token checks apply to it like to every
 * route): `await app.register(openAIApi, { engines })`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { OpenAIApiError } from './openai-errors.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { chatCompletionsRoutes } from './chat-completions.js';
import { modelsRoutes } from './models.js';
import { responsesRoutes } from './responses.js';
import { speechRoutes } from './speech.js';
import { transcriptionRoutes } from './transcriptions.js';

export interface OpenAIApiOptions {
  engines: EngineSet;
  /** Largest transcription upload, bytes; default 25 MB. */
  maxUploadBytes?: number;
  /** Longest audio to transcribe, seconds; default 600. */
  maxAudioSeconds?: number;
}

/** The methods each `/v1` path answers (for 405 and `Allow`); `:id` matches one path segment. */
const V1_METHODS: readonly [RegExp, string[]][] = [
  [/^\/v1\/models$/, ['GET']],
  [/^\/v1\/models\/[^/]+$/, ['GET']],
  [/^\/v1\/chat\/completions$/, ['POST']],
  [/^\/v1\/audio\/speech$/, ['POST']],
  [/^\/v1\/audio\/transcriptions$/, ['POST']],
  [/^\/v1\/responses$/, ['POST']],
  [/^\/v1\/responses\/[^/]+$/, ['GET', 'DELETE']],
  [/^\/v1\/realtime$/, ['GET']],
];

const SERVED = 'LocalChat serves /v1/models, /v1/chat/completions, /v1/responses, /v1/audio/speech, /v1/audio/transcriptions and the /v1/realtime WebSocket.';

/** OpenAI's error for a `/v1` request no route takes: 405 for a known path, else 404. */
function v1NotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]!;
  const allowed = V1_METHODS.find(([pattern]) => pattern.test(path))?.[1];
  if (allowed && !allowed.includes(request.method)) {
    const error = new OpenAIApiError(405, `${request.method} is not supported on ${path}: use ${allowed.join(' or ')}.`, { code: 'method_not_allowed' });
    return reply.code(405).header('allow', allowed.join(', ')).send(error.body());
  }
  const error = new OpenAIApiError(404, `Invalid URL (${request.method} ${path}): ${SERVED}`, { code: 'unknown_url' });
  return reply.code(404).send(error.body());
}

/**
 * `onSend` hook for the `/v1/realtime` WebSocket route: a plain HTTP request (no `Upgrade:
 * websocket`), which @fastify/websocket answers with an empty 404, gets 426 Upgrade Required
 * (RFC 9110, section 15.5.22) with `Upgrade: websocket` and OpenAI's error JSON instead.
 */
export async function realtimeWithoutUpgrade(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode !== 404 || (payload !== undefined && payload !== null && payload !== '')) return payload;
  const error = new OpenAIApiError(426, 'GET /v1/realtime is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket), e.g. new WebSocket("ws://HOST/v1/realtime?model=localchat-tutor").', { code: 'websocket_upgrade_required' });
  reply.code(426).header('upgrade', 'websocket').type('application/json; charset=utf-8');
  return JSON.stringify(error.body());
}

/** Fastify plugin registering every OpenAI-compatible route (see the module header). */
export const openAIApi: FastifyPluginAsync<OpenAIApiOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  await app.register(modelsRoutes, { engines });
  await app.register(chatCompletionsRoutes, { engines });
  await app.register(responsesRoutes, { engines });
  await app.register(speechRoutes, { engines });
  await app.register(transcriptionRoutes, { engines, maxFileBytes: options.maxUploadBytes, maxAudioSeconds: options.maxAudioSeconds });
  // Unknown `/v1/...` URLs get OpenAI's 404 (other paths keep the app's own not-found handler).
  await app.register(
    async (v1) => {
      v1.setNotFoundHandler(v1NotFound);
    },
    { prefix: '/v1' },
  );
};
