import { describe, expect, it } from 'vitest';
import { DEFAULT_TUTOR_PROMPT } from '../../../src/tutor/persona.js';
import type { ServerEvent } from '../realtime/client.js';
import { initialSessionState, isResponding, sessionReducer, type SessionAction, type SessionState } from './state.js';

const server = (event: Record<string, unknown>): SessionAction => ({ type: 'server', event: { event_id: 'e', ...event } as unknown as ServerEvent });
const run = (actions: SessionAction[], state: SessionState = initialSessionState): SessionState => actions.reduce(sessionReducer, state);
const base = { response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0 };

describe('sessionReducer', () => {
  it('builds a streamed exchange from server events', () => {
    const state = run([
      { type: 'connection', status: 'connected' },
      { type: 'user-message', id: 'item_u', text: 'Hello' },
      { type: 'response-requested' },
      server({ type: 'conversation.item.added', item: { id: 'item_u', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } }),
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.output_item.added', response_id: 'resp_1', output_index: 0, item: { id: 'item_a', type: 'message', role: 'assistant', content: [] } }),
      server({ type: 'response.output_audio_transcript.delta', ...base, delta: 'Hi ' }),
      server({ type: 'response.output_audio_transcript.delta', ...base, delta: 'there!' }),
    ]);
    expect(isResponding(state)).toBe(true);
    expect(state.messages.map((message) => [message.role, message.text, message.status])).toEqual([
      ['user', 'Hello', 'sent'],
      ['assistant', 'Hi there!', 'streaming'],
    ]);
    const done = run(
      [
        server({ type: 'response.output_audio_transcript.done', ...base, transcript: 'Hi there!' }),
        server({ type: 'response.done', response: { id: 'resp_1', status: 'completed' } }),
        server({ type: 'localchat.response.metrics', response_id: 'resp_1', ttft_ms: 120, ttfa_ms: 400, total_ms: 900 }),
      ],
      state,
    );
    expect(isResponding(done)).toBe(false);
    expect(done.messages[1]).toMatchObject({ status: 'completed', ttftMs: 120, ttfaMs: 400 });
  });

  it('marks a cancelled reply as stopped and keeps the final transcript', () => {
    const state = run([
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.output_audio_transcript.delta', ...base, delta: 'Hi the' }),
      server({ type: 'response.output_audio_transcript.done', ...base, transcript: 'Hi' }),
      server({ type: 'response.done', response: { id: 'resp_1', status: 'cancelled' } }),
    ]);
    expect(state.messages[0]).toMatchObject({ text: 'Hi', status: 'cancelled' });
  });

  it('shows a failed reply with no output as a tutor message with the reason', () => {
    const state = run([
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.done', response: { id: 'resp_1', status: 'failed', status_details: { type: 'failed', error: { type: 'server_error', code: 'llm', message: 'No LLM.' } } } }),
    ]);
    expect(state.messages).toHaveLength(1);
    expect(state.messages[0]).toMatchObject({ role: 'assistant', status: 'failed', error: 'No LLM.' });
  });

  it('adopts the server id of a user message', () => {
    const state = run([
      { type: 'user-message', id: 'local', text: 'Hello' },
      server({ type: 'conversation.item.added', item: { id: 'server_id', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } }),
    ]);
    expect(state.messages.map((message) => [message.id, message.status])).toEqual([['server_id', 'sent']]);
  });

  it('fails the running reply and unsent messages when the connection drops', () => {
    const state = run([
      { type: 'connection', status: 'connected' },
      { type: 'user-message', id: 'u', text: 'Hello' },
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.output_audio_transcript.delta', ...base, delta: 'Hi' }),
      { type: 'connection', status: 'reconnecting' },
    ]);
    expect(state.messages.map((message) => message.status)).toEqual(['failed', 'failed']);
    expect(isResponding(state)).toBe(false);
    const back = sessionReducer(state, { type: 'connection', status: 'connected' });
    expect(back.messages.at(-1)?.role).toBe('note');
  });

  it('tracks voices, session voice and speed, and downloads', () => {
    const state = run([
      server({ type: 'session.created', session: { type: 'realtime', audio: { output: { voice: 'af_bella', speed: 1.25 } } } }),
      server({ type: 'localchat.voices', provider: 'kokoro', default_voice: 'af_heart', voices: [{ id: 'af_heart', name: 'Heart', language: 'en-US' }] }),
      server({ type: 'localchat.download.progress', model: 'm', file: 'f', downloaded_bytes: 5, total_bytes: 10, bytes_per_second: 1, eta_seconds: 5 }),
    ]);
    expect(state).toMatchObject({ voice: 'af_bella', speed: 1.25, defaultVoice: 'af_heart' });
    expect(state.downloads.m?.downloaded_bytes).toBe(5);
    const ready = sessionReducer(state, server({ type: 'localchat.engine.status', engines: [{ kind: 'llm', provider: 'p', modelId: 'm', state: 'ready' }] }));
    expect(ready.downloads).toEqual({});
  });

  it('turns error events into toasts and clears the transcript on reset', () => {
    const state = run([
      { type: 'user-message', id: 'u', text: 'Hello' },
      server({ type: 'error', error: { type: 'invalid_request_error', code: 'x', message: 'Nope.' } }),
      server({ type: 'localchat.conversation.reset' }),
    ]);
    expect(state.toasts.map((toast) => toast.message)).toEqual(['Nope.']);
    expect(state.messages).toEqual([]);
  });

  it('shows a spoken turn as "what I heard": pending, then the transcript, with its duration', () => {
    const item = { id: 'item_v', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] };
    const pending = run([
      { type: 'voice-committed', durationMs: 3072 },
      { type: 'response-requested' },
      server({ type: 'input_audio_buffer.committed', item_id: 'item_v', previous_item_id: null }),
      server({ type: 'conversation.item.added', previous_item_id: null, item }),
    ]);
    expect(pending.messages).toEqual([
      expect.objectContaining({ id: 'item_v', role: 'user', text: '', spoken: true, transcription: 'pending', durationMs: 3072 }),
    ]);
    expect(pending.pendingVoiceDurations).toEqual([]);
    const heard = run(
      [
        server({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_v', content_index: 0, transcript: ' He was not an ill disposed young man. ' }),
        server({ type: 'conversation.item.done', previous_item_id: null, item: { ...item, content: [{ type: 'input_audio', transcript: 'He was not an ill disposed young man.' }] } }),
      ],
      pending,
    );
    expect(heard.messages).toEqual([expect.objectContaining({ text: 'He was not an ill disposed young man.', transcription: 'completed', status: 'sent' })]);
  });

  it('shows why a spoken turn was not understood, and drops the empty reply that follows', () => {
    const state = run([
      server({ type: 'input_audio_buffer.committed', item_id: 'item_v' }),
      server({ type: 'conversation.item.added', item: { id: 'item_v', type: 'message', role: 'user', content: [{ type: 'input_audio' }] } }),
      server({
        type: 'conversation.item.input_audio_transcription.failed',
        item_id: 'item_v',
        content_index: 0,
        error: { type: 'transcription_error', code: 'transcription_failed', message: "I couldn't hear any words. Please try again a little louder, or type your message." },
      }),
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.output_item.added', response_id: 'resp_1', output_index: 0, item: { id: 'item_a', type: 'message', role: 'assistant', content: [] } }),
      server({ type: 'response.done', response: { id: 'resp_1', status: 'failed', status_details: { type: 'failed', error: { type: 'invalid_request_error', code: 'transcription_failed' } } } }),
    ]);
    expect(state.messages).toEqual([
      expect.objectContaining({ id: 'item_v', status: 'failed', transcription: 'failed', error: expect.stringMatching(/couldn't hear any words/) }),
    ]);
    expect(isResponding(state)).toBe(false);
  });

  it('measures a server-VAD turn from speech_started to speech_stopped', () => {
    const state = run([
      server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1200, item_id: 'item_s' }),
      server({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 4400, item_id: 'item_s' }),
      server({ type: 'input_audio_buffer.committed', item_id: 'item_s' }),
      server({ type: 'conversation.item.added', item: { id: 'item_s', type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] } }),
    ]);
    expect(state.messages[0]).toMatchObject({ spoken: true, durationMs: 3200 });
  });

  it('marks a reply the learner talked over as interrupted', () => {
    const state = run([
      server({ type: 'response.created', response: { id: 'resp_1' } }),
      server({ type: 'response.output_audio_transcript.delta', ...base, delta: 'A long answer' }),
      { type: 'interrupted', itemId: 'item_a' },
      server({ type: 'response.done', response: { id: 'resp_1', status: 'cancelled' } }),
      server({ type: 'conversation.item.truncated', item_id: 'item_a', content_index: 0, audio_end_ms: 1200 }),
    ]);
    expect(state.messages[0]).toMatchObject({ id: 'item_a', status: 'cancelled', interrupted: true });
  });

  it('shows a repeated error once', () => {
    const error = server({ type: 'error', error: { type: 'invalid_request_error', code: 'x', message: 'Same thing.' } });
    expect(run([error, error, error]).toasts).toHaveLength(1);
  });
});

describe('sessionReducer: the tutor', () => {
  const correction = {
    original: 'Yesterday I go to the park.',
    corrected: 'Yesterday I went to the park.',
    errors: [{ original: 'go', correction: 'went', category: 'tense', rule: 'Past simple for the past.', example: 'I went home.', start: 12, end: 14 }],
    diff: [{ type: 'same', text: 'Yesterday I' }, { type: 'removed', text: 'go' }, { type: 'added', text: 'went' }, { type: 'same', text: 'to the park.' }],
  };

  it('puts a correction card under the learner message it corrects', () => {
    const state = run([
      { type: 'user-message', id: 'item_u', text: correction.original },
      server({ type: 'localchat.correction', item_id: 'item_u', correction }),
      server({ type: 'localchat.correction', item_id: 'unknown', correction }),
    ]);
    expect(state.messages).toHaveLength(1);
    expect(state.messages[0]?.correction?.corrected).toBe(correction.corrected);
  });

  it('keeps what a new conversation is about', () => {
    const state = run([
      { type: 'user-message', id: 'item_u', text: 'Hello' },
      server({
        type: 'localchat.conversation.reset',
        conversation_id: 'conv_1',
        scenario: { id: 'ordering-food', title: 'Ordering food', learner_goal: 'Order lunch.', useful_phrases: ['I would like ...'] },
        topic: null,
      }),
    ]);
    expect(state.messages).toEqual([]);
    expect(state.conversation).toMatchObject({ id: 'conv_1', scenarioId: 'ordering-food', scenario: { title: 'Ordering food' }, resumed: false });
  });

  it('learns the conversation id quietly, without clearing the screen', () => {
    const state = run([{ type: 'user-message', id: 'item_u', text: 'Hello' }, { type: 'conversation-id', id: 'conv_2' }]);
    expect(state.messages).toHaveLength(1);
    expect(state.conversation.id).toBe('conv_2');
  });

  it('shows a loaded conversation with its cards; replies keep their audio when it is still there', () => {
    const event = {
      type: 'localchat.conversation.loaded',
      event_id: 'e',
      conversation_id: 'conv_3',
      title: 'At the park',
      scenario_id: null,
      turns: [
        { id: 'u1', role: 'user', text: correction.original, interrupted: false, source: 'spoken', correction: { ...correction, diff: [] } },
        { id: 'a1', role: 'assistant', text: 'You went to the park!', interrupted: true, source: null, correction: null },
        { id: 'u2', role: 'user', text: 'Yes.', interrupted: false, source: 'typed', correction: null },
      ],
    } as const;
    const state = run([
      { type: 'user-message', id: 'old', text: 'Old' },
      { type: 'conversation-loaded', event: event as never, audioIds: ['a1'], reconnected: true },
    ]);
    expect(state.messages.map((message) => [message.id, message.role, message.status])).toEqual([
      ['u1', 'user', 'sent'],
      ['a1', 'assistant', 'completed'],
      ['u2', 'user', 'sent'],
      [expect.any(String), 'note', 'completed'],
    ]);
    expect(state.messages[0]).toMatchObject({ spoken: true, transcription: 'completed', correction: { corrected: correction.corrected } });
    expect(state.messages[1]).toMatchObject({ hasAudio: true, interrupted: true });
    expect(state.conversation).toMatchObject({ id: 'conv_3', title: 'At the park', resumed: true });
  });

  it('waits for the session report, then shows it (or why it failed)', () => {
    const waiting = run([{ type: 'conversation-id', id: 'conv_4' }, { type: 'report-requested' }]);
    expect(waiting.report).toEqual({ status: 'waiting', conversationId: 'conv_4' });
    const ready = run([server({ type: 'localchat.session.report', conversation_id: 'conv_4', report: null })], waiting);
    expect(ready.report).toEqual({ status: 'ready', conversationId: 'conv_4', report: null });
    const failed = run([server({ type: 'localchat.notice', level: 'error', message: 'The session report could not be written: no LLM.' })], waiting);
    expect(failed.report).toMatchObject({ status: 'failed', message: expect.stringContaining('no LLM') });
    expect(failed.notices).toEqual([]);
    const lost = run([{ type: 'connection', status: 'connected' }, { type: 'report-requested' }, { type: 'connection', status: 'reconnecting' }]);
    expect(lost.report?.status).toBe('failed');
  });

  it('tells a server with the tutor from one without, by its first system prompt', () => {
    const created = (instructions: string) => server({ type: 'session.created', session: { instructions, audio: { output: { voice: 'v', speed: 1 } } } });
    expect(run([created('You are a tutor. Their level is B1.')]).serverTutor).toBe(true);
    expect(run([created(DEFAULT_TUTOR_PROMPT)]).serverTutor).toBe(false);
    expect(initialSessionState.serverTutor).toBeNull();
  });
});
