/**
 * `session.update` as third-party clients send it: every valid field applies even when another
 * field cannot (the instructions survive an unknown voice or turn detection LocalChat cannot
 * honour), each field not applied gets an `error` naming it, OpenAI voice names map to engine
 * voices, and `conversation.item.retrieve` returns items.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

let server: TestServer;
let llm: ScriptedLLM;
let tts: ToneTTS;

beforeAll(async () => {
  llm = new ScriptedLLM({ reply: 'Arr, hello there.' });
  tts = new ToneTTS();
  server = await startTestServer(new StaticEngineSet({ llm, tts, vad: (settings) => createSileroVad(settings) }));
});
afterAll(async () => {
  await server.stop();
});

describe('session.update', () => {
  it('applies the valid fields, reports the others by name, and the instructions reach the LLM', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      const from = client.events.length;
      client.send({
        type: 'session.update',
        event_id: 'evt_update',
        session: {
          type: 'realtime',
          instructions: 'You are a pirate.',
          model: 'gpt-realtime',
          not_a_field: true,
          audio: {
            input: { turn_detection: { type: 'semantic_vad', eagerness: 'sometimes' }, noise_reduction: { type: 'near_field' } },
            output: { voice: 'nobody-by-this-name', speed: 1.2 },
          },
        },
      });
      const updated = await client.waitFor('session.updated', () => true, from);
      expect(updated.session).toMatchObject({ type: 'realtime', instructions: 'You are a pirate.', audio: { output: { speed: 1.2, voice: tts.defaultVoice } } });
      const errors = client.ofType('error', from);
      expect(errors.map((event) => [event.error.param, event.error.code, event.error.event_id])).toEqual([
        ['session.not_a_field', 'unknown_parameter', 'evt_update'],
        ['session.audio.input.turn_detection', 'invalid_value', 'evt_update'],
        ['session.audio.output.voice', 'invalid_voice', 'evt_update'],
      ]);
      const calls = llm.calls.length;
      client.sendText('Hello!');
      await client.waitFor('response.done', () => true, from);
      expect(llm.calls[calls]!.request.messages[0]).toEqual({ role: 'system', content: 'You are a pirate.' });
    } finally {
      await client.close();
    }
  });

  it('maps OpenAI voice names and semantic_vad (with its eagerness) onto the server VAD', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      for (const name of ['alloy', 'marin', 'cedar', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse']) {
        const from = client.events.length;
        client.send({ type: 'session.update', session: { audio: { output: { voice: name } } } });
        const updated = await client.waitFor('session.updated', () => true, from);
        const voice = (updated.session as { audio: { output: { voice: string } } }).audio.output.voice;
        expect(tts.voices().map((v) => v.id), name).toContain(voice);
        expect(client.ofType('error', from), name).toEqual([]);
      }
      const from = client.events.length;
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'low', interrupt_response: false } } } } });
      const updated = await client.waitFor('session.updated', () => true, from);
      expect(updated.session).toMatchObject({ audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'low', interrupt_response: false } } } });
      expect(client.ofType('error', from)).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe('conversation.item.retrieve', () => {
  it('returns a user message and the reply, and an error for an unknown item', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'conversation.item.create', item: { id: 'item_mine', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] } });
      client.send({ type: 'response.create' });
      const done = await client.waitFor('response.done');
      const replyId = done.response.output![0]!.id!;
      client.send({ type: 'conversation.item.retrieve', item_id: 'item_mine' });
      client.send({ type: 'conversation.item.retrieve', item_id: replyId });
      const mine = await client.waitFor('conversation.item.retrieved', (event) => event.item.id === 'item_mine');
      expect(mine.item).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] });
      const reply = await client.waitFor('conversation.item.retrieved', (event) => event.item.id === replyId);
      expect(reply.item).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: 'Arr, hello there.' }] });
      client.send({ type: 'conversation.item.retrieve', event_id: 'evt_missing', item_id: 'item_missing' });
      const missing = await client.waitFor('error', (event) => event.error.event_id === 'evt_missing');
      expect(missing.error.code).toBe('item_not_found');
    } finally {
      await client.close();
    }
  });
});
