/**
 * `GET /v1/models` and `GET /v1/models/:model`: every model the REST API serves, in OpenAI's list
 * shape (`{ object: 'list', data: [{ id, object: 'model', created, owned_by }] }`):
 * - the LLM (by its model id) and `localchat-tutor` (the same LLM with the tutor persona);
 * - each usable TTS engine by its provider name (`kokoro`, `espeak`): what `/v1/audio/speech`
 *   takes as `model` (it also takes `tts-1` and the other aliases in model-names.ts);
 * - the STT by its model id (e.g. `whisper-base.en`), unless speech recognition is off or failed
 *   to load (one that loads on first use is listed).
 * Aliases (`tts-1`, `whisper-1`, any chat model name) are accepted but not listed.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { EngineSet } from '../../engines/engine-set.js';
import { OpenAIApiError, openAIErrorHandler } from './openai-errors.js';
import { TUTOR_MODEL, sttStatus, usableTts } from './model-names.js';

export interface ModelsRoutesOptions {
  engines: EngineSet;
}

/** One entry of OpenAI's model list. */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** When the server started: the `created` time of every model (they have no better one). */
const STARTED = Math.floor(Date.now() / 1000);

/** The models every REST endpoint serves now (see the module header). */
export function listModels(engines: EngineSet): ModelEntry[] {
  const entry = (id: string, owner: string): ModelEntry => ({ id, object: 'model', created: STARTED, owned_by: owner });
  const llm = engines.llm();
  const data = [entry(llm.modelId, llm.provider), entry(TUTOR_MODEL, 'localchat')];
  for (const tts of usableTts(engines)) data.push(entry(tts.provider, tts.provider));
  const stt = sttStatus(engines);
  if (stt && stt.state !== 'error') data.push(entry(stt.modelId, stt.provider));
  const seen = new Set<string>();
  return data.filter((model) => !seen.has(model.id) && seen.add(model.id));
}

/**
 * Fastify plugin: `GET /v1/models` and `GET /v1/models/:model` (404 `model_not_found` for a name
 * not listed). Register with `app.register(modelsRoutes, { engines })`.
 */
export const modelsRoutes: FastifyPluginAsync<ModelsRoutesOptions> = async (app: FastifyInstance, options) => {
  app.setErrorHandler(openAIErrorHandler);

  app.get('/v1/models', async () => ({ object: 'list', data: listModels(options.engines) }));

  // A wildcard: model ids may contain `/` (`onnx-community/whisper-base.en`).
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const id = request.params['*'];
    const found = listModels(options.engines).find((model) => model.id === id);
    if (!found) throw new OpenAIApiError(404, `The model \`${id}\` does not exist.`, { param: 'model', code: 'model_not_found' });
    return found;
  });
};
