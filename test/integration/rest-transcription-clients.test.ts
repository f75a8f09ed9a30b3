/**
 * `/v1/audio/transcriptions` as third-party clients read it: `verbose_json` segments with every
 * field OpenAI's has (the AI SDK's `transcribe()` with `@ai-sdk/openai` validates them all) and
 * `stream: true` as OpenAI's `transcript.text.delta` / `transcript.text.done` events (the `openai`
 * package's stream). The STT is scripted; segments come from Silero VAD on real speech where the
 * LibriVox clips are installed, else the file is one segment.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { experimental_transcribe as transcribe } from 'ai';
import { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { compressionRatio } from '../../src/server/routes/transcriptions.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, concatAudio, librivoxAvailable, loadClip, silence } from '../fixtures/librivox.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';

afterEach(stopRestServers);

const RATE = 24_000;

/** One second of a quiet 220 Hz tone: audio the scripted STT "hears" as its transcript. */
function tone(seconds = 1): Int16Array {
  const samples = new Int16Array(Math.round(RATE * seconds));
  for (let index = 0; index < samples.length; index++) samples[index] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * index) / RATE));
  return samples;
}

function engines(stt: ScriptedSTT, withVad = false): StaticEngineSet {
  return new StaticEngineSet({
    llm: new ScriptedLLM({ reply: 'unused' }), tts: new ToneTTS(), stt,
    ...(withVad ? { vad: (settings) => createSileroVad(settings) } : {}),
  });
}

describe('verbose_json segments', () => {
  it('carry seek, tokens, temperature, avg_logprob, compression_ratio and no_speech_prob', async () => {
    const text = 'she sells sea shells by the sea shore, sea shells by the sea shore';
    const { client } = await startRestServer(engines(new ScriptedSTT({ transcripts: [text] })));
    const result = await client.audio.transcriptions.create({ file: await toFile(encodeWav(tone(1.5), RATE), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json' });
    expect(result.segments).toEqual([{
      id: 0, seek: 0, start: 0, end: 1.5, text, tokens: [], temperature: 0, avg_logprob: 0,
      compression_ratio: compressionRatio(text), no_speech_prob: 0,
    }]);
    // Repetitive text compresses well: Whisper's ratio is above 1 for it.
    expect(result.segments![0]!.compression_ratio).toBeGreaterThan(1);
    expect(result.usage).toEqual({ type: 'duration', seconds: 2 });
  });

  it("pass the AI SDK's transcribe() with @ai-sdk/openai (whisper-1, verbose_json)", async () => {
    const { url } = await startRestServer(engines(new ScriptedSTT({ transcripts: ['hello from the tone'] })));
    const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: 'local' });
    // AI SDK 6 asks for verbose_json when given OpenAI provider options (AI SDK 7, Node 22 only, always does).
    const result = await transcribe({
      model: openai.transcription('whisper-1'), audio: encodeWav(tone(), RATE),
      providerOptions: { openai: { timestampGranularities: ['segment'] } },
    });
    expect(result.text).toBe('hello from the tone');
    expect(result.segments).toEqual([{ text: 'hello from the tone', startSecond: 0, endSecond: 1 }]);
    expect(result.language).toBe('en');
    expect(result.durationInSeconds).toBe(1);
  });
});

describe('stream: true', () => {
  it('answers with transcript.text.delta events, then transcript.text.done', async () => {
    const { client } = await startRestServer(engines(new ScriptedSTT({ transcripts: ['a streamed transcript'] })));
    const stream = await client.audio.transcriptions.create({ file: await toFile(encodeWav(tone(), RATE), 'a.wav'), model: 'gpt-4o-transcribe', stream: true });
    const events: { type: string }[] = [];
    for await (const event of stream) events.push(event);
    expect(events).toEqual([
      { type: 'transcript.text.delta', delta: 'a streamed transcript', logprobs: null },
      { type: 'transcript.text.done', text: 'a streamed transcript', logprobs: null, usage: { type: 'duration', seconds: 1 } },
    ]);
  });

  it('refuses srt, vtt and verbose_json streams, and reports an STT failure as a 502 before the first event', async () => {
    const { client } = await startRestServer(engines(new ScriptedSTT({ transcripts: ['x'], failOnCall: 0 })));
    const file = await toFile(encodeWav(tone(), RATE), 'a.wav');
    await expect(client.audio.transcriptions.create({ file, model: 'whisper-1', stream: true, response_format: 'srt' } as never)).rejects.toMatchObject({ status: 400, param: 'response_format' });
    await expect(client.audio.transcriptions.create({ file: await toFile(encodeWav(tone(), RATE), 'a.wav'), model: 'whisper-1', stream: true })).rejects.toMatchObject({ status: 502 });
  });

  it.runIf(librivoxAvailable())('sends one delta per speech segment as it is transcribed (Silero VAD, LibriVox speech)', async () => {
    const stt = new ScriptedSTT({ transcripts: (call) => (call === 0 ? LIBRIVOX_CLIPS['0880'] : LIBRIVOX_CLIPS['0930']) });
    const { client } = await startRestServer(engines(stt, true));
    const audio = concatAudio(silence(500), loadClip('0880'), silence(2000), loadClip('0930'), silence(500));
    const stream = await client.audio.transcriptions.create({ file: await toFile(encodeWav(audio, RATE), 'two.wav'), model: 'whisper-1', stream: true });
    const events: Record<string, unknown>[] = [];
    for await (const event of stream) events.push(event as unknown as Record<string, unknown>);
    expect(events.map((event) => event.type)).toEqual(['transcript.text.delta', 'transcript.text.delta', 'transcript.text.done']);
    expect(events.slice(0, 2).map((event) => event.delta)).toEqual([LIBRIVOX_CLIPS['0880'], ` ${LIBRIVOX_CLIPS['0930']}`]);
    expect(events[2]!.text).toBe(`${LIBRIVOX_CLIPS['0880']} ${LIBRIVOX_CLIPS['0930']}`);
  });
});
