/**
 * `POST /v1/audio/speech` (issue 5, "Benchmark"): time to first byte and real-time factor per TTS
 * engine present (eSpeak NG always; Kokoro and Supertonic when installed in the models directory),
 * for `wav` and `mp3`, through the real HTTP route.
 *
 * The server is the real app (`buildApp`, which registers the OpenAI-compatible API, security hooks
 * included) in a child process (bench/server-child.ts --tts <engine>), the engine under test as the
 * active TTS: the client (Node's fetch on loopback, here) must not share the server's event loop,
 * or it could not read the first bytes while the server synthesizes the rest. Per request:
 *   - TTFB = request sent -> first body chunk received (the route streams each sentence as it is
 *     synthesized, so this is about the first sentence's synthesis + resampling + encoding);
 *   - total = request sent -> last byte; RTF = total / duration of the audio returned (for wav from
 *     its bytes; mp3 carries the same audio, so its duration is the wav's for the same text);
 *   - runs interleave the formats; one warm-up request per format first.
 * Input: the 3-sentence tutor reply (bench/scenario.ts), voice and speed left to their defaults.
 */
import { ChildServer } from './rss.js';
import { TUTOR_REPLY } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';
import { type Absent, TTS_ENGINE_NAMES, type TtsEngineName, ttsAbsence } from './tts-engines.js';

export const SPEECH_FORMATS = ['wav', 'mp3'] as const;
type Format = (typeof SPEECH_FORMATS)[number];

export interface SpeechFormatResult {
  format: Format;
  ttfb_ms: Summary;
  headers_ms: Summary;
  total_ms: Summary;
  /** total / audio duration, median. */
  rtf: number;
  bytes: number;
  /** Body chunks the client received (one request). */
  chunks: number;
  audio_ms: number;
}

export interface SpeechEngineResult {
  engine: string;
  route: string;
  formats: SpeechFormatResult[];
}

export type SpeechResult = Record<string, SpeechEngineResult | Absent>;

export async function benchSpeech(options: { runs: number; log: (line: string) => void }): Promise<SpeechResult> {
  const result: SpeechResult = {};
  for (const name of TTS_ENGINE_NAMES) {
    const absent = await ttsAbsence(name);
    if (absent) {
      result[name] = absent;
      options.log(`  ${name}: absent (${absent.reason})`);
      continue;
    }
    result[name] = await benchEngine(name, options);
  }
  return result;
}

async function benchEngine(name: TtsEngineName, options: { runs: number; log: (line: string) => void }): Promise<SpeechEngineResult> {
  const server = await ChildServer.start(['--tts', name]);
  const url = `http://127.0.0.1:${server.port}/v1/audio/speech`;
  try {
    for (const format of SPEECH_FORMATS) await request(url, format); // warm-up
    const samples: Record<Format, RequestTiming[]> = { wav: [], mp3: [] };
    for (let index = 0; index < options.runs; index++) {
      for (const format of index % 2 === 0 ? SPEECH_FORMATS : [...SPEECH_FORMATS].reverse()) samples[format].push(await request(url, format));
    }
    // WAV: 44-byte header, then PCM16 mono 24 kHz.
    const audioMs = ((samples.wav[0]!.bytes - 44) / 2 / 24_000) * 1000;
    const formats = SPEECH_FORMATS.map((format): SpeechFormatResult => {
      const runs = samples[format];
      return {
        format,
        ttfb_ms: summarize(runs.map((run) => run.ttfb)),
        headers_ms: summarize(runs.map((run) => run.headers)),
        total_ms: summarize(runs.map((run) => run.total)),
        rtf: Number(median(runs.map((run) => run.total / audioMs)).toPrecision(3)),
        bytes: runs[0]!.bytes,
        chunks: runs[0]!.chunks,
        audio_ms: round(audioMs),
      };
    });
    for (const entry of formats) {
      options.log(
        `  ${name} ${entry.format}: TTFB p50 ${entry.ttfb_ms.p50} ms, total ${entry.total_ms.p50} ms for ${(entry.audio_ms / 1000).toFixed(1)} s of audio -> RTF ${entry.rtf} (${entry.bytes} bytes in ${entry.chunks} chunks)`,
      );
    }
    return { engine: name, route: 'POST /v1/audio/speech of the app (src/server/app.ts registers the OpenAI-compatible API)', formats };
  } finally {
    await server.stop();
  }
}

interface RequestTiming {
  ttfb: number;
  headers: number;
  total: number;
  bytes: number;
  chunks: number;
}

async function request(url: string, format: Format): Promise<RequestTiming> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', input: TUTOR_REPLY, response_format: format }),
  });
  const headers = performance.now() - started;
  if (!response.ok || !response.body) throw new Error(`/v1/audio/speech answered ${response.status}: ${await response.text()}`);
  let ttfb: number | undefined;
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (chunk.length === 0) continue;
    ttfb ??= performance.now() - started;
    bytes += chunk.length;
    chunks++;
  }
  const total = performance.now() - started;
  return { ttfb: ttfb ?? Number.NaN, headers, total, bytes, chunks };
}
