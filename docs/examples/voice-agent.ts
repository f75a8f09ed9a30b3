/**
 * A voice agent with one function tool, running on LocalChat instead of OpenAI's servers: the
 * `@openai/agents` SDK's RealtimeAgent + RealtimeSession, pointed at LocalChat's `/v1/realtime`.
 *
 *   npm start                                              # LocalChat on http://localhost:8000
 *   npx tsx docs/examples/voice-agent.ts question.wav      # speak a WAV file (PCM16 mono, any rate)
 *   npx tsx docs/examples/voice-agent.ts "Weather in Paris?"  # or type
 *
 * The agent's reply is printed as it streams and its voice is written to reply.wav.
 * See docs/examples/voice-agent.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession, tool } from '@openai/agents/realtime';
import { z } from 'zod';

const URL = process.env.LOCALCHAT_REALTIME_URL ?? 'ws://localhost:8000/v1/realtime';
const RATE = 24_000; // the Realtime API's PCM16 rate, both ways

/** The tool: a made-up forecast (call a real weather service here). */
const getWeather = tool({
  name: 'get_weather',
  description: 'Get the weather forecast for a city.',
  parameters: z.object({ city: z.string().describe('The city, e.g. Paris') }),
  execute: async ({ city }) => {
    console.log(`\n[tool] get_weather(${city})`);
    return JSON.stringify({ city, forecast: 'sunny', celsius: 21 });
  },
});

const agent = new RealtimeAgent({
  name: 'Weather helper',
  instructions: 'You are a friendly weather assistant. Use get_weather for any weather question, then answer in one short spoken sentence.',
  tools: [getWeather],
});

const session = new RealtimeSession(agent, {
  transport: new OpenAIRealtimeWebSocket({ url: URL }),
  config: {
    // LocalChat maps OpenAI voice names onto its own voices, and semantic_vad onto its server VAD.
    audio: { output: { voice: 'marin' }, input: { turnDetection: { type: 'semantic_vad', eagerness: 'medium' } } },
  },
});

const replyAudio: Buffer[] = [];
session.on('audio', (event) => replyAudio.push(Buffer.from(event.data)));
session.on('transport_event', (event) => {
  if (event.type === 'response.output_audio_transcript.delta') process.stdout.write(String(event.delta));
  if (event.type === 'conversation.item.input_audio_transcription.completed') console.log(`[heard] ${String(event.transcript)}`);
});
session.on('error', (error) => console.error('[error]', error));

// LocalChat does not check the key unless started with --token (then pass the token here).
await session.connect({ apiKey: process.env.LOCALCHAT_TOKEN ?? 'unused', url: URL });

const input = process.argv[2] ?? 'What is the weather like in Paris today?';
let answered = 0;
const spoken = new Promise<void>((resolve) => {
  // The first response calls the tool; the second speaks its result.
  session.on('agent_end', () => {
    if (++answered === 2) resolve();
  });
});
if (input.endsWith('.wav')) {
  const audio = readPcm16Wav(input);
  // Send it as a microphone would (40 ms frames, in real time), then a second of silence so the
  // server VAD ends the turn.
  const frame = (RATE * 40) / 1000;
  const padded = new Int16Array(audio.length + RATE);
  padded.set(audio);
  for (let offset = 0; offset < padded.length; offset += frame) {
    session.sendAudio(padded.slice(offset, offset + frame).buffer);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
} else {
  session.sendMessage(input);
}
await spoken;
console.log();
writeWav('reply.wav', Buffer.concat(replyAudio));
console.log(`reply.wav: ${(Buffer.concat(replyAudio).length / 2 / RATE).toFixed(1)} s of speech; tokens used: ${session.usage.totalTokens}`);
session.close();

/** PCM16 mono (or first channel) from a WAV file, resampled to 24 kHz (linear). */
function readPcm16Wav(path: string): Int16Array {
  const file = readFileSync(path);
  let offset = 12;
  let rate = RATE;
  let channels = 1;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (file.readUInt16LE(offset + 8) !== 1 || file.readUInt16LE(offset + 22) !== 16) throw new Error(`${path}: only PCM16 WAV files are supported`);
      channels = file.readUInt16LE(offset + 10);
      rate = file.readUInt32LE(offset + 12);
    } else if (id === 'data') {
      const frames = Math.floor(size / 2 / channels);
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = file.readInt16LE(offset + 8 + i * 2 * channels);
      if (rate === RATE) return samples;
      const out = new Int16Array(Math.floor((frames * RATE) / rate));
      for (let i = 0; i < out.length; i++) {
        const position = (i * rate) / RATE;
        const left = Math.floor(position);
        const right = Math.min(left + 1, frames - 1);
        out[i] = Math.round(samples[left]! + (samples[right]! - samples[left]!) * (position - left));
      }
      return out;
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no audio data`);
}

/** Writes PCM16 mono 24 kHz as a WAV file. */
function writeWav(path: string, pcm: Buffer): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  writeFileSync(path, Buffer.concat([header, pcm]));
}
