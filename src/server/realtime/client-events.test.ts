import { describe, expect, it } from 'vitest';
import type { TTS, Voice } from '../../core/tts.js';
import { SEMANTIC_VAD_SILENCE_MS, parseClientEvent, parseSessionConfig } from './client-events.js';
import { RealtimeRateLimiter } from './rate-limit.js';
import { resolveRealtimeVoice } from './voices.js';

describe('parseSessionConfig', () => {
  it('applies every valid field and reports each invalid or unknown one by name', () => {
    const { update, problems } = parseSessionConfig({
      type: 'realtime',
      instructions: 'Be a pirate.',
      model: 'gpt-realtime',
      tracing: 'auto',
      bogus_field: 1,
      tools: [
        { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } },
        { type: 'mcp', server_label: 'x', server_url: 'https://example.com' },
        { type: 'function', name: 'look up' },
        { type: 'function', name: 'add' },
      ],
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'semantic_vad', eagerness: 'high' }, noise_reduction: null, transcription: { model: 'gpt-4o-mini-transcribe' } },
        output: { voice: 'marin', speed: 9 },
      },
    });
    expect(update).toEqual({
      type: 'realtime',
      instructions: 'Be a pirate.',
      model: 'gpt-realtime',
      tracing: 'auto',
      tools: [
        { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } },
        { type: 'function', name: 'add' },
      ],
      audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' }, noise_reduction: null, transcription: { model: 'gpt-4o-mini-transcribe' } }, output: { voice: 'marin' } },
    });
    expect(problems.map((problem) => [problem.param, problem.code])).toEqual([
      ['session.bogus_field', 'unknown_parameter'],
      ['session.tools.1', 'invalid_value'],
      ['session.tools.1', 'invalid_value'],
      ['session.audio.input.format', 'invalid_value'],
      ['session.audio.output.speed', 'invalid_value'],
    ]);
    expect(problems[1]!.message).toMatch(/function tools/);
    expect(problems[3]!.message).toMatch(/audio\/pcm/);
  });

  it('takes a voice object by its id and an OpenAI transcription session', () => {
    expect(parseSessionConfig({ audio: { output: { voice: { id: 'af_heart' } } } }).update).toEqual({ audio: { output: { voice: 'af_heart' } } });
    const transcription = parseSessionConfig({ type: 'transcription', audio: { input: { turn_detection: null, transcription: { language: 'en', prompt: 'names' } } }, include: ['item.input_audio_transcription.logprobs'] });
    expect(transcription.problems).toEqual([]);
    expect(transcription.update.type).toBe('transcription');
  });

  it('maps semantic_vad eagerness to a thinking time, low the longest', () => {
    expect(SEMANTIC_VAD_SILENCE_MS.low).toBeGreaterThan(SEMANTIC_VAD_SILENCE_MS.medium);
    expect(SEMANTIC_VAD_SILENCE_MS.medium).toBeGreaterThan(SEMANTIC_VAD_SILENCE_MS.high);
    expect(SEMANTIC_VAD_SILENCE_MS.auto).toBe(SEMANTIC_VAD_SILENCE_MS.medium);
  });
});

describe('client events', () => {
  it('parses function_call_output items and conversation.item.retrieve', () => {
    const output = parseClientEvent(JSON.stringify({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{"ok":true}' } }));
    expect(output).toMatchObject({ ok: true, event: { item: { type: 'function_call_output', call_id: 'call_1' } } });
    expect(parseClientEvent(JSON.stringify({ type: 'conversation.item.retrieve', item_id: 'item_1' }))).toMatchObject({ ok: true });
    const assistant = parseClientEvent(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] } }));
    expect(assistant).toMatchObject({ ok: false, code: 'invalid_event' });
  });
});

describe('resolveRealtimeVoice', () => {
  const voice = (id: string, gender: 'female' | 'male'): Voice => ({ id, name: id, language: 'en-US', gender });
  const tts = (voices: Voice[], defaultVoice: string) => ({ voices: () => voices, defaultVoice }) as unknown as TTS;

  it('maps OpenAI names: a voice of that name, else the default of that gender, else one of that gender', () => {
    const kokoro = tts([voice('af_heart', 'female'), voice('af_alloy', 'female'), voice('am_echo', 'male'), voice('am_adam', 'male')], 'af_heart');
    expect(resolveRealtimeVoice(kokoro, 'alloy')).toBe('af_alloy');
    expect(resolveRealtimeVoice(kokoro, 'echo')).toBe('am_echo');
    expect(resolveRealtimeVoice(kokoro, 'marin')).toBe('af_heart');
    expect(resolveRealtimeVoice(kokoro, 'cedar')).toBe('am_echo');
    expect(resolveRealtimeVoice(kokoro, 'AM_ADAM')).toBe('am_adam');
    expect(resolveRealtimeVoice(kokoro, 'nobody')).toBeNull();
    for (const name of ['alloy', 'marin', 'cedar', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse']) expect(resolveRealtimeVoice(kokoro, name), name).not.toBeNull();
  });
});

describe('RealtimeRateLimiter', () => {
  it('limits appends by audio duration, other events by count, and never refuses a commit', () => {
    let now = 0;
    const limiter = new RealtimeRateLimiter(() => now);
    const oneSecond = Buffer.alloc(48_000).toString('base64');
    let admitted = 0;
    while (limiter.admitEvent('input_audio_buffer.append', oneSecond) === null) admitted++;
    expect(admitted).toBe(120);
    expect(limiter.admitEvent('input_audio_buffer.append', oneSecond)).toMatch(/real time/);
    expect(limiter.admitEvent('input_audio_buffer.commit')).toBeNull();
    now += 1000; // 10 s of audio a second after the burst
    for (let i = 0; i < 10; i++) expect(limiter.admitEvent('input_audio_buffer.append', oneSecond)).toBeNull();
    expect(limiter.admitEvent('input_audio_buffer.append', oneSecond)).not.toBeNull();
    for (let i = 0; i < 200; i++) expect(limiter.admitEvent('session.update')).toBeNull();
    expect(limiter.admitEvent('session.update')).toMatch(/a second/);
    expect(limiter.admitEvent('response.cancel')).toBeNull();
  });
});
