/**
 * `GET /v1/models` and `GET /v1/models/:model` (the replacement for app.ts's inline route) with the
 * official `openai` client: the LLM, `localchat-tutor`, every usable TTS engine and the STT, in
 * OpenAI's list shape; 404 `model_not_found` for anything else.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/core/engine-status.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import type { EngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';

afterEach(stopRestServers);


describe('GET /v1/models', () => {
  it('lists the LLM, localchat-tutor, each TTS engine and the STT', async () => {
    const fallback = Object.assign(new ToneTTS(), { provider: 'tone-backup' });
    const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'x' }), tts: new ToneTTS(), fallbackTts: fallback, stt: new ScriptedSTT({ transcripts: ['x'] }) });
    const { client, url } = await startRestServer(engines);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((model) => [model.id, model.owned_by])).toEqual([
      ['scripted-llm', 'scripted'],
      ['localchat-tutor', 'localchat'],
      ['tone', 'tone'],
      ['tone-backup', 'tone-backup'],
      ['scripted-stt', 'scripted'],
    ]);
    expect(models.every((model) => model.object === 'model' && Number.isInteger(model.created))).toBe(true);
    const raw = await (await fetch(`${url}/v1/models`)).json();
    expect(raw).toMatchObject({ object: 'list' });

    expect(await client.models.retrieve('localchat-tutor')).toMatchObject({ id: 'localchat-tutor', object: 'model' });
    const missing = await client.models.retrieve('gpt-5').catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('lists an STT that loads on first use, not one that failed, and ids with a slash', async () => {
    let sttState: EngineStatus['state'] = 'loading';
    class Engines extends StaticEngineSet {
      override status(): EngineStatus[] {
        return [...super.status(), { kind: 'stt', provider: 'whisper', modelId: 'onnx-community/whisper-base.en', state: sttState }];
      }
    }
    const { client } = await startRestServer(new Engines({ llm: new ScriptedLLM({ reply: 'x' }), tts: new ToneTTS() }));
    const ids = async () => {
      const list = [];
      for await (const model of client.models.list()) list.push(model.id);
      return list;
    };
    expect(await ids()).toContain('onnx-community/whisper-base.en');
    expect(await client.models.retrieve('onnx-community/whisper-base.en')).toMatchObject({ owned_by: 'whisper' });
    sttState = 'error';
    expect(await ids()).toEqual(['scripted-llm', 'localchat-tutor', 'tone']);
  });

  it('answers unknown /v1 URLs with OpenAI\'s 404', async () => {
    const { client, url } = await startRestServer(new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'x' }), tts: new ToneTTS() }));
    const error = await client.embeddings.create({ model: 'x', input: 'hello' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('unknown_url');
    const response = await fetch(`${url}/v1/nope?x=1`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining('GET /v1/nope)'), type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  });
});
