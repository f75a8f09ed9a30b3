/**
 * `POST /v1/audio/transcriptions` with the official `openai` client as the caller, on real speech
 * (LibriVox clips) uploaded as WAV, MP3 (encoded here with LAME), Ogg Opus (our encoder, and
 * mediabunny's muxer) and WebM Opus (mediabunny's muxer, as MediaRecorder makes): every format
 * decodes to the clip's length; response formats json / text / verbose_json (segments split by
 * Silero VAD) / srt / vtt; errors: missing file 400, unsupported type 415, too large 413, unknown
 * model 404, no STT 503, STT failure 502.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Mp3Encoder } from '@breezystack/lamejs';
import { BufferTarget, EncodedAudioPacketSource, EncodedPacket, OggOutputFormat, Output, WebMOutputFormat } from 'mediabunny';
import OpenAI, { toFile } from 'openai';
import OpusScript from 'opusscript';
import { afterEach, describe, expect, it } from 'vitest';
import { Mp3StreamEncoder } from '../../src/audio/mp3-encoder.js';
import { OggOpusStreamEncoder } from '../../src/audio/ogg-opus-encoder.js';
import { encodeWav } from '../../src/audio/wav.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import type { EngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, concatAudio, librivoxAvailable, loadClip, silence } from '../fixtures/librivox.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';


afterEach(stopRestServers);


function engineSet(stt: ScriptedSTT | null, withVad = false): StaticEngineSet {
  return new StaticEngineSet({
    llm: new ScriptedLLM({ reply: 'unused' }),
    tts: new ToneTTS(),
    stt,
    ...(withVad ? { vad: (settings) => createSileroVad(settings) } : {}),
  });
}

const RATE = 24_000;

/** Opus packets (20 ms, mono, 24 kHz) of `samples`, and the OpusHead describing them. */
function opusPackets(samples: Int16Array): { packets: Uint8Array[]; head: Uint8Array } {
  const encoder = new OpusScript(RATE, 1, OpusScript.Application.AUDIO);
  const frame = RATE / 50;
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset < samples.length; offset += frame) {
    const piece = new Int16Array(frame);
    piece.set(samples.subarray(offset, offset + frame));
    packets.push(new Uint8Array(encoder.encode(Buffer.from(piece.buffer), frame)));
  }
  encoder.delete();
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(RATE, 12);
  return { packets, head };
}

/** Opus audio muxed by mediabunny into WebM (what browsers' MediaRecorder uploads) or Ogg. */
async function muxOpus(samples: Int16Array, container: 'webm' | 'ogg'): Promise<Buffer> {
  const { packets, head } = opusPackets(samples);
  const output = new Output({ format: container === 'webm' ? new WebMOutputFormat() : new OggOutputFormat(), target: new BufferTarget() });
  const source = new EncodedAudioPacketSource('opus');
  output.addAudioTrack(source);
  await output.start();
  for (const [index, packet] of packets.entries()) {
    const meta = index === 0 ? { decoderConfig: { codec: 'opus', numberOfChannels: 1, sampleRate: 48_000, description: head } } : undefined;
    await source.add(new EncodedPacket(packet, 'key', index * 0.02, 0.02), meta);
  }
  await output.finalize();
  return Buffer.from(output.target.buffer!);
}

function encodeMp3(samples: Int16Array): Buffer {
  const encoder = new Mp3StreamEncoder({ sampleRate: RATE });
  return Buffer.concat([encoder.push(samples), encoder.end()]);
}

/** Stereo MP3 (the clip on the left, silence on the right): the server averages it to mono. */
function encodeStereoMp3(samples: Int16Array): Buffer {
  const encoder = new Mp3Encoder(2, RATE, 128);
  return Buffer.concat([encoder.encodeBuffer(samples, new Int16Array(samples.length)), encoder.flush()].map((part) => Buffer.from(part)));
}

function encodeOggOpus(samples: Int16Array): Buffer {
  const encoder = new OggOpusStreamEncoder({ sampleRate: RATE });
  const parts: Buffer[] = [];
  for (let offset = 0; offset < samples.length; offset += 4800) parts.push(encoder.push(samples.subarray(offset, offset + 4800)));
  parts.push(encoder.end());
  return Buffer.concat(parts);
}

/**
 * A FLAC file with VERBATIM subframes (no compression): the simplest valid FLAC (FLAC format
 * specification: STREAMINFO, then frames with a CRC-8 header and a CRC-16 footer).
 */
function encodeFlac(samples: Int16Array, rate: number): Buffer {
  const blockSize = 4096;
  const info = Buffer.alloc(4 + 34);
  info.writeUInt8(0x80, 0); // last metadata block, type 0 (STREAMINFO)
  info.writeUIntBE(34, 1, 3);
  info.writeUInt16BE(blockSize, 4);
  info.writeUInt16BE(blockSize, 6);
  // Sample rate (20 bits), channels - 1 (3 bits), bits per sample - 1 (5 bits), total samples (36 bits).
  const packed = (BigInt(rate) << 44n) | (0n << 41n) | (15n << 36n) | BigInt(samples.length);
  info.writeBigUInt64BE(packed, 14);
  const crc8 = (bytes: Uint8Array) => {
    let crc = 0;
    for (const byte of bytes) {
      crc ^= byte;
      for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  };
  const crc16 = (bytes: Uint8Array) => {
    let crc = 0;
    for (const byte of bytes) {
      crc ^= byte << 8;
      for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
  };
  const rateCodes: Record<number, number> = { 8000: 4, 16000: 5, 22050: 6, 24000: 7, 32000: 8, 44100: 9, 48000: 10 };
  const frames: Buffer[] = [];
  for (let index = 0, offset = 0; offset < samples.length; index++, offset += blockSize) {
    const block = samples.subarray(offset, offset + blockSize);
    expect(index).toBeLessThan(128); // the frame number is then one UTF-8 byte
    const header = Buffer.from([0xff, 0xf8, (0b0111 << 4) | rateCodes[rate]!, 0b0000_1000, index, (block.length - 1) >> 8, (block.length - 1) & 0xff]);
    const body = Buffer.alloc(1 + block.length * 2);
    body.writeUInt8(0b0000_0010, 0); // VERBATIM subframe, no wasted bits
    block.forEach((sample, i) => body.writeInt16BE(sample, 1 + i * 2));
    const frame = Buffer.concat([header, Buffer.from([crc8(header)]), body]);
    const footer = Buffer.alloc(2);
    footer.writeUInt16BE(crc16(frame));
    frames.push(frame, footer);
  }
  return Buffer.concat([Buffer.from('fLaC', 'latin1'), info, ...frames]);
}

/** The granule position of an Ogg stream's last page: its length in samples. */
function oggLastGranule(bytes: Buffer): number {
  const last = bytes.lastIndexOf(Buffer.from('OggS', 'latin1'));
  return Number(bytes.readBigInt64LE(last + 6));
}

/** True when the Ogg Vorbis fixture is installed; under CI its absence is an error. */
function vorbisAvailable(): boolean {
  if (existsSync(VORBIS_FILE)) return true;
  if (process.env.CI) throw new Error(`${VORBIS_FILE} is missing: .ci/run must install the Debian package "sound-theme-freedesktop".`);
  console.warn('Skipping the Ogg Vorbis test: install the Debian package "sound-theme-freedesktop" to run it.');
  return false;
}

/** Speech in Ogg Vorbis (48 kHz mono) from Debian's sound-theme-freedesktop, when installed. */
const VORBIS_FILE = '/usr/share/sounds/freedesktop/stereo/audio-channel-front-center.oga';

async function postForm(url: string, form: FormData): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe.runIf(librivoxAvailable())('POST /v1/audio/transcriptions', () => {
  const clip = loadClip('0880');
  const clipMs = (clip.length / RATE) * 1000;

  it.each([
    ['WAV', 'clip.wav', () => encodeWav(clip, RATE), 5],
    ['MP3', 'clip.mp3', () => encodeMp3(clip), 120],
    ['stereo MP3', 'clip.mp3', () => encodeStereoMp3(clip), 120],
    ['Ogg Opus (our encoder)', 'clip.ogg', () => encodeOggOpus(clip), 25],
    ['Ogg Opus (mediabunny)', 'clip.opus', () => muxOpus(clip, 'ogg'), 25],
    ['WebM Opus', 'clip.webm', () => muxOpus(clip, 'webm'), 25],
    ['FLAC', 'clip.flac', () => encodeFlac(clip, RATE), 1],
  ])('transcribes %s, decoded to the clip length', async (_name, filename, make, toleranceMs) => {
    const stt = new ScriptedSTT({ transcripts: [LIBRIVOX_CLIPS['0880']] });
    const { client } = await startRestServer(engineSet(stt));
    const bytes = await make();
    const result = await client.audio.transcriptions.create({ file: await toFile(bytes, filename), model: 'whisper-1', language: 'en' });
    expect(result.text).toBe(LIBRIVOX_CLIPS['0880']);
    expect(stt.calls).toHaveLength(1);
    expect(stt.calls[0]!.language).toBe('en');
    expect(Math.abs(stt.calls[0]!.durationMs - clipMs)).toBeLessThan(toleranceMs);
  });

  it.runIf(vorbisAvailable())('transcribes Ogg Vorbis, decoded to its length', async () => {
    const stt = new ScriptedSTT({ transcripts: ['front center'] });
    const { client } = await startRestServer(engineSet(stt));
    const bytes = readFileSync(VORBIS_FILE);
    const result = await client.audio.transcriptions.create({ file: await toFile(bytes, 'front-center.oga'), model: 'whisper-1' });
    expect(result.text).toBe('front center');
    expect(stt.calls[0]!.durationMs).toBeCloseTo((oggLastGranule(bytes) / 48_000) * 1000, 0);
  });

  it('answers in text, json and the STT model id', async () => {
    const stt = new ScriptedSTT({ transcripts: [' he was not an ill disposed young man '] });
    const { client } = await startRestServer(engineSet(stt));
    const file = await toFile(encodeWav(clip, RATE), 'clip.wav');
    const text = await client.audio.transcriptions.create({ file, model: 'scripted-stt', response_format: 'text' });
    expect(text).toBe('he was not an ill disposed young man');
    const json = await client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'gpt-4o-transcribe', response_format: 'json' });
    expect(json).toEqual({ text: 'he was not an ill disposed young man' });
  });

  it('splits verbose_json into the speech segments Silero VAD finds, with their times', async () => {
    const stt = new ScriptedSTT({ transcripts: (call) => (call % 2 === 0 ? LIBRIVOX_CLIPS['0880'] : LIBRIVOX_CLIPS['0930']) });
    const { client } = await startRestServer(engineSet(stt, true));
    const first = loadClip('0880');
    const second = loadClip('0930');
    const audio = concatAudio(silence(500), first, silence(2000), second, silence(500));
    const result = await client.audio.transcriptions.create({ file: await toFile(encodeWav(audio, RATE), 'two.wav'), model: 'whisper-1', response_format: 'verbose_json' });
    expect(result.duration).toBeCloseTo(audio.length / RATE, 2);
    expect(result.language).toBe('english'); // OpenAI names the language in verbose_json
    expect(result.text).toBe(`${LIBRIVOX_CLIPS['0880']} ${LIBRIVOX_CLIPS['0930']}`);
    const segments = result.segments!;
    expect(segments.map((segment) => segment.id)).toEqual([0, 1]);
    expect(segments.map((segment) => segment.text)).toEqual([LIBRIVOX_CLIPS['0880'], LIBRIVOX_CLIPS['0930']]);
    const secondStart = 0.5 + first.length / RATE + 2;
    // The VAD works on 32 ms frames and the clips have a little silence of their own at the edges.
    expect(segments[0]!.start).toBeGreaterThanOrEqual(0.4);
    expect(segments[0]!.start).toBeLessThan(0.9);
    expect(segments[0]!.end).toBeGreaterThan(0.5 + first.length / RATE - 0.5);
    expect(segments[0]!.end).toBeLessThan(secondStart);
    expect(segments[1]!.start).toBeGreaterThan(secondStart - 0.15);
    expect(segments[1]!.start).toBeLessThan(secondStart + 0.5);
    expect(segments[1]!.end).toBeLessThanOrEqual(result.duration);
    expect(stt.calls).toHaveLength(2);

    const srt = await client.audio.transcriptions.create({ file: await toFile(encodeWav(audio, RATE), 'two.wav'), model: 'whisper-1', response_format: 'srt' });
    expect(srt).toMatch(/^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\nhe was not an ill disposed young man\n\n2\n00:00:0\d,\d{3} --> /);
    const vtt = await client.audio.transcriptions.create({ file: await toFile(encodeWav(audio, RATE), 'two.wav'), model: 'whisper-1', response_format: 'vtt' });
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:0\d\.\d{3}\nhe was not/);
  });

  it('makes the whole file one segment when there is no VAD', async () => {
    const stt = new ScriptedSTT({ transcripts: ['all of it'] });
    const { client } = await startRestServer(engineSet(stt));
    const result = await client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'whisper-1', response_format: 'verbose_json' });
    expect(result.segments).toMatchObject([{ id: 0, seek: 0, start: 0, end: Math.round((clip.length / RATE) * 1000) / 1000, text: 'all of it' }]);
  });

  it('answers errors in OpenAI\'s shape: missing file 400, unsupported type 415, not multipart 415, bad fields 400, unknown model 404', async () => {
    const { url, client } = await startRestServer(engineSet(new ScriptedSTT({ transcripts: ['x'] })));
    const noFile = new FormData();
    noFile.set('model', 'whisper-1');
    expect(await postForm(url, noFile)).toEqual({
      status: 400,
      body: { error: { message: expect.stringContaining("'file'"), type: 'invalid_request_error', param: 'file', code: 'missing_required_parameter' } },
    });

    const unsupported = await client.audio.transcriptions.create({ file: await toFile(Buffer.from('just some text, not audio at all'), 'notes.txt'), model: 'whisper-1' }).catch((caught: unknown) => caught);
    expect(unsupported).toBeInstanceOf(OpenAI.APIError);
    expect((unsupported as InstanceType<typeof OpenAI.APIError>).status).toBe(415);
    expect((unsupported as InstanceType<typeof OpenAI.APIError>).code).toBe('unsupported_audio');

    const corrupt = new FormData();
    corrupt.set('file', new Blob([Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEjunk', 'latin1'), Buffer.alloc(40, 7)])]), 'broken.wav');
    expect(await postForm(url, corrupt)).toMatchObject({ status: 400, body: { error: { param: 'file', code: 'invalid_audio' } } });

    const json = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file": "x"}' });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unsupported_media_type' } });

    const badFormat = new FormData();
    badFormat.set('file', new Blob([new Uint8Array(encodeWav(clip, RATE))]), 'clip.wav');
    badFormat.set('response_format', 'xml');
    expect(await postForm(url, badFormat)).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', param: 'response_format' } } });

    const unknownModel = await client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'tts-1' }).catch((caught: unknown) => caught);
    expect(unknownModel).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknownModel as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers 413 for a file over the size limit and for audio over the length limit', async () => {
    const { client } = await startRestServer(engineSet(new ScriptedSTT({ transcripts: ['x'] })), { maxUploadBytes: 50_000, maxAudioSeconds: 1 });
    const big = await client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'whisper-1' }).catch((caught: unknown) => caught);
    expect(big).toBeInstanceOf(OpenAI.APIError);
    expect((big as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((big as InstanceType<typeof OpenAI.APIError>).code).toBe('request_too_large');

    // 2 s of Opus is ~10 KB: under the size limit, over the length limit.
    const long = await client.audio.transcriptions.create({ file: await toFile(encodeOggOpus(clip.subarray(0, 2 * RATE)), 'long.ogg'), model: 'whisper-1' }).catch((caught: unknown) => caught);
    expect(long).toBeInstanceOf(OpenAI.APIError);
    expect((long as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((long as InstanceType<typeof OpenAI.APIError>).code).toBe('audio_too_long');
  });

  it('answers 503 when speech recognition is off and 502 when the STT fails', async () => {
    const off = await startRestServer(engineSet(null));
    const error = await off.client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'whisper-1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('engine_unavailable');

    const engines = engineSet(new ScriptedSTT({ transcripts: ['x'], failOnCall: 0 }));
    const failing = await startRestServer(engines);
    const failure = await failing.client.audio.transcriptions.create({ file: await toFile(encodeWav(clip, RATE), 'clip.wav'), model: 'whisper-1' }).catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toContain('the test STT failed');
    expect(engines.failures.map((entry) => entry.kind)).toEqual(['stt']);
  });
});
