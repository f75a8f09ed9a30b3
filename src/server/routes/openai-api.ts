/**
 * The OpenAI-compatible REST API as one Fastify plugin: `GET /v1/models` (and
 * `/v1/models/:model`), `POST /v1/chat/completions`, `POST /v1/audio/speech`,
 * `POST /v1/audio/transcriptions`. Each route answers errors in OpenAI's shape (openai-errors.ts),
 * and so does any other `/v1/...` URL (404 `unknown_url`).
 *
 * Register it after the security hooks (Host/Origin/token checks apply to it like to every
 * route): `await app.register(openAIApi, { engines })`.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { OpenAIApiError } from './openai-errors.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { chatCompletionsRoutes } from './chat-completions.js';
import { modelsRoutes } from './models.js';
import { speechRoutes } from './speech.js';
import { transcriptionRoutes } from './transcriptions.js';

export interface OpenAIApiOptions {
  engines: EngineSet;
  /** Largest transcription upload, bytes; default 25 MB. */
  maxUploadBytes?: number;
  /** Longest audio to transcribe, seconds; default 600. */
  maxAudioSeconds?: number;
}

/** Fastify plugin registering every OpenAI-compatible route (see the module header). */
export const openAIApi: FastifyPluginAsync<OpenAIApiOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  await app.register(modelsRoutes, { engines });
  await app.register(chatCompletionsRoutes, { engines });
  await app.register(speechRoutes, { engines });
  await app.register(transcriptionRoutes, { engines, maxFileBytes: options.maxUploadBytes, maxAudioSeconds: options.maxAudioSeconds });
  // Unknown `/v1/...` URLs get OpenAI's 404 (other paths keep the app's own not-found handler).
  await app.register(
    async (v1) => {
      v1.setNotFoundHandler((request, reply) => {
        const error = new OpenAIApiError(404, `Invalid URL (${request.method} ${request.url.split('?')[0]}): LocalChat serves /v1/models, /v1/chat/completions, /v1/audio/speech and /v1/audio/transcriptions.`, { code: 'unknown_url' });
        return reply.code(404).send(error.body());
      });
    },
    { prefix: '/v1' },
  );
};
