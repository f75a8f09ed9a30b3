/**
 * A stand-in LocalChat server for the browser client: serves dist/web/ under a strict CSP and
 * answers `/v1/realtime` with a scripted tutor (text deltas + PCM16 24 kHz tone audio), so the UI
 * can be previewed and tested without engines.
 *
 * Scenarios (`?scenario=` is not used: the server is started with one):
 * - `ready`: both engines ready
 * - `status`: LLM downloading (progress events), voice engine in error, a notice
 *
 * Messages containing "fail" get a failed response; the reply to anything else streams over ~3 s
 * unless cancelled.
 *
 * Voice input (browser VAD / push-to-talk): `input_audio_buffer.append` / `commit` / `clear`,
 * answered like the real server (`input_audio_buffer.committed`, the user item with
 * `input_audio`, then `conversation.item.input_audio_transcription.completed` with a canned
 * transcript, or `.failed` when `transcription: 'fail'`), and `conversation.item.truncate`
 * (`conversation.item.truncated`). `session.update` with `turn_detection: { type: 'server_vad' }`
 * turns on a crude energy VAD over the appended audio that commits and replies by itself.
 * Every client event is recorded (audio as its byte count) for tests: `clientEvents()`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export type Scenario = 'ready' | 'status';

export interface FakeServerOptions {
  /** Directory with the built client (dist/web). */
  root: string;
  scenario?: Scenario;
  /** Text delta interval, ms. */
  deltaMs?: number;
  /** Spoken turns: transcribe (`ok`, default) or fail. */
  transcription?: 'ok' | 'fail';
  /** Delay before a transcription result, ms (default 250). */
  transcriptionDelayMs?: number;
  /** Seconds of reply audio per word (default: ~0.05 + 12 ms per character). */
  secondsPerWord?: number;
}

/** A client event as the fake server saw it (audio replaced by its size). */
export interface RecordedClientEvent {
  type: string;
  /** `Date.now()` when it arrived. */
  at: number;
  session: number;
  /** `input_audio_buffer.append`: decoded bytes of PCM16. */
  audioBytes?: number;
  item_id?: string;
  audio_end_ms?: number;
  content_index?: number;
  response_id?: string;
  turn_detection?: unknown;
}

export interface FakeServer {
  server: Server;
  url: string;
  close(): Promise<void>;
  /** Every client event so far, in arrival order. */
  clientEvents(): RecordedClientEvent[];
}

/** The CSP the real server is expected to send. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/** Canned transcripts for spoken turns, in turn. */
const transcripts = ['He was not an ill disposed young man.', 'He might even have been made amiable himself.', 'I went to the park on Saturday.'];

const voices = [
  { id: 'af_heart', name: 'Heart', language: 'en-US', gender: 'female' },
  { id: 'af_bella', name: 'Bella', language: 'en-US', gender: 'female' },
  { id: 'am_michael', name: 'Michael', language: 'en-US', gender: 'male' },
  { id: 'am_fenrir', name: 'Fenrir', language: 'en-US', gender: 'male' },
  { id: 'bf_emma', name: 'Emma', language: 'en-GB', gender: 'female' },
  { id: 'bm_george', name: 'George', language: 'en-GB', gender: 'male' },
];

const replies = [
  "That sounds like a lovely weekend! Tell me more: what did you do on Saturday? One small correction: we say \"I went to the park\", not \"I goed to the park\". Past tense of go is irregular.",
  'Great question. "Since" is used with a point in time, like since Monday, and "for" with a length of time, like for three days. Can you make a sentence with each one?',
  'Nice work! Your sentence is almost perfect. Just remember to add "the" before "interview". Shall we try another one?',
];

/** A soft tone (PCM16, 24 kHz) lasting `seconds`, as base64: stands in for speech. */
function toneBase64(seconds: number, frequency: number): string {
  const count = Math.round(seconds * 24_000);
  const buffer = Buffer.alloc(count * 2);
  for (let index = 0; index < count; index++) {
    const envelope = Math.min(1, index / 240, (count - index) / 240);
    buffer.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * index) / 24_000) * 3000 * envelope), index * 2);
  }
  return buffer.toString('base64');
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const scenario = options.scenario ?? 'ready';
  const deltaMs = options.deltaMs ?? 45;
  const recorded: RecordedClientEvent[] = [];
  let sessionCount = 0;
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(options.root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(normalize(options.root)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': mimeTypes[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(response);
  });
  const sockets = new WebSocketServer({ server, path: '/v1/realtime' });
  sockets.on('connection', (socket) => session(socket, scenario, deltaMs, options, ++sessionCount, recorded));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    clientEvents: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.close(() => resolve());
      }),
  };
}

function session(socket: WebSocket, scenario: Scenario, deltaMs: number, options: FakeServerOptions, sessionNumber: number, recorded: RecordedClientEvent[]): void {
  let eventCounter = 0;
  let voice = 'af_heart';
  let speed = 1;
  let replyIndex = 0;
  let running: { responseId: string; itemId: string; timers: NodeJS.Timeout[]; text: string; finish(status: 'completed' | 'cancelled'): void } | null = null;
  const send = (event: Record<string, unknown>): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ event_id: `event_${++eventCounter}`, ...event }));
  };
  const sessionObject = () => ({ type: 'realtime', object: 'realtime.session', audio: { output: { voice, speed, format: { type: 'audio/pcm', rate: 24000 } } } });

  send({ type: 'session.created', session: sessionObject() });
  send({ type: 'localchat.voices', provider: 'kokoro', default_voice: 'af_heart', voices });
  if (scenario === 'status') {
    let downloaded = 0;
    const total = 986_000_000;
    const engines = (progress: number) => [
      { kind: 'llm', provider: 'llama-cpp', modelId: 'qwen2.5-1.5b-instruct-q4_k_m', state: 'downloading', progress, downloadedBytes: downloaded, totalBytes: total },
      {
        kind: 'tts',
        provider: 'kokoro',
        modelId: 'kokoro-82m-v1.0',
        state: 'error',
        message: 'The ONNX weights failed the size check. Delete ~/.cache/localchat/models/kokoro-82m and restart to download them again.',
      },
    ];
    send({ type: 'localchat.engine.status', engines: engines(0.41) });
    send({
      type: 'localchat.notice',
      level: 'warning',
      message: 'No language model is ready yet. LocalChat is downloading the default model; or point it at LM Studio:\n  localchat serve --llm openai-compatible --llm-url http://localhost:1234/v1',
    });
    downloaded = 0.41 * total;
    const timer = setInterval(() => {
      downloaded = Math.min(total, downloaded + 4_200_000);
      send({
        type: 'localchat.download.progress',
        model: 'qwen2.5-1.5b-instruct-q4_k_m',
        file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
        downloaded_bytes: downloaded,
        total_bytes: total,
        bytes_per_second: 42_000_000,
        eta_seconds: (total - downloaded) / 42_000_000,
      });
    }, 100);
    socket.on('close', () => clearInterval(timer));
  } else {
    send({
      type: 'localchat.engine.status',
      engines: [
        { kind: 'llm', provider: 'llama-cpp', modelId: 'qwen2.5-1.5b-instruct-q4_k_m', state: 'ready' },
        { kind: 'tts', provider: 'kokoro', modelId: 'kokoro-82m-v1.0', state: 'ready' },
      ],
    });
  }

  const pendingUserText: string[] = [];
  /** Appended, not yet committed audio (PCM16 24 kHz). */
  let buffer: Buffer[] = [];
  let bufferBytes = 0;
  let audioItems = 0;
  /** The last spoken turn could not be transcribed: its reply request is answered `cancelled`. */
  let lastTranscriptionFailed = false;
  let serverVad: { silenceMs: number } | null = null;
  const vad = { speaking: false, speechFrames: 0, silenceMs: 0, streamMs: 0, startMs: 0, itemId: '' };

  const commitAudio = (eventId?: string): void => {
    if (bufferBytes === 0) {
      send({ type: 'error', error: { type: 'invalid_request_error', code: 'input_audio_buffer_commit_empty', message: 'There is no audio to commit.', event_id: eventId } });
      return;
    }
    const itemId = vad.itemId || `item_audio_${sessionNumber}_${++audioItems}`;
    vad.itemId = '';
    const durationMs = bufferBytes / 48;
    buffer = [];
    bufferBytes = 0;
    const turn = audioItems;
    send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
    const item = { id: itemId, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] };
    send({ type: 'conversation.item.added', previous_item_id: null, item });
    const fail = options.transcription === 'fail';
    lastTranscriptionFailed = fail;
    const transcript = transcripts[(turn - 1) % transcripts.length] ?? '';
    if (!fail) pendingUserText.push(transcript);
    setTimeout(() => {
      if (fail) {
        send({
          type: 'conversation.item.input_audio_transcription.failed',
          item_id: itemId,
          content_index: 0,
          error: { type: 'transcription_error', code: 'stt_unavailable', message: 'The speech recognition model is not loaded.' },
        });
        return;
      }
      send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript, usage: { type: 'duration', seconds: durationMs / 1000 } });
      send({ type: 'conversation.item.done', previous_item_id: null, item: { ...item, content: [{ type: 'input_audio', transcript }] } });
    }, options.transcriptionDelayMs ?? 250);
  };

  /** Server VAD stand-in: energy per 32 ms over the appended audio. */
  const detect = (pcm: Buffer): void => {
    if (!serverVad) return;
    for (let offset = 0; offset + 1536 <= pcm.length; offset += 1536) {
      let sum = 0;
      for (let index = offset; index < offset + 1536; index += 2) {
        const sample = pcm.readInt16LE(index) / 32768;
        sum += sample * sample;
      }
      const speech = Math.sqrt(sum / 768) > 0.015;
      vad.streamMs += 32;
      if (speech) {
        vad.speechFrames++;
        vad.silenceMs = 0;
        if (!vad.speaking && vad.speechFrames >= 4) {
          vad.speaking = true;
          vad.itemId = `item_audio_${sessionNumber}_${++audioItems}`;
          vad.startMs = Math.max(0, vad.streamMs - 4 * 32 - 300);
          send({ type: 'input_audio_buffer.speech_started', audio_start_ms: vad.startMs, item_id: vad.itemId });
          if (running) running.finish('cancelled');
        }
      } else {
        vad.silenceMs += 32;
        if (!vad.speaking) vad.speechFrames = 0;
        if (vad.speaking && vad.silenceMs >= serverVad.silenceMs) {
          vad.speaking = false;
          vad.speechFrames = 0;
          send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: vad.streamMs, item_id: vad.itemId });
          commitAudio();
          respond(pendingUserText.splice(0).join(' '));
        }
      }
    }
    if (!vad.speaking) {
      // Keep only the prefix padding while nobody speaks.
      const keep = Buffer.concat(buffer).subarray(-300 * 48);
      buffer = [keep];
      bufferBytes = keep.length;
    }
  };

  socket.on('message', (data) => {
    let event: {
      type?: string;
      event_id?: string;
      audio?: string;
      item_id?: string;
      audio_end_ms?: number;
      content_index?: number;
      response_id?: string;
      item?: { id?: string; content?: { text?: string }[] };
      session?: { audio?: { output?: { voice?: string; speed?: number }; input?: { turn_detection?: { type?: string; silence_duration_ms?: number } | null } } };
    };
    try {
      event = JSON.parse(String(data));
    } catch {
      send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'The frame is not valid JSON.' } });
      return;
    }
    const audioBytes = typeof event.audio === 'string' ? Buffer.from(event.audio, 'base64').length : undefined;
    recorded.push({
      type: String(event.type),
      at: Date.now(),
      session: sessionNumber,
      audioBytes,
      item_id: event.item_id,
      audio_end_ms: event.audio_end_ms,
      content_index: event.content_index,
      response_id: event.response_id,
      turn_detection: event.session?.audio?.input?.turn_detection,
    });
    switch (event.type) {
      case 'input_audio_buffer.append': {
        const pcm = Buffer.from(event.audio ?? '', 'base64');
        if (pcm.length % 2 !== 0) {
          send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_audio', message: 'PCM16 audio must have an even number of bytes.', event_id: event.event_id } });
          return;
        }
        buffer.push(pcm);
        bufferBytes += pcm.length;
        detect(pcm);
        return;
      }
      case 'input_audio_buffer.commit':
        commitAudio(event.event_id);
        return;
      case 'input_audio_buffer.clear':
        buffer = [];
        bufferBytes = 0;
        send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.truncate':
        send({ type: 'conversation.item.truncated', item_id: event.item_id, content_index: event.content_index ?? 0, audio_end_ms: event.audio_end_ms ?? 0 });
        return;
      case 'session.update': {
        const input = event.session?.audio?.input;
        if (input && 'turn_detection' in input) {
          serverVad = input.turn_detection?.type === 'server_vad' ? { silenceMs: input.turn_detection.silence_duration_ms ?? 500 } : null;
        }
        const output = event.session?.audio?.output;
        if (output?.voice && !voices.some((candidate) => candidate.id === output.voice)) {
          send({ type: 'error', error: { type: 'invalid_request_error', code: 'unknown_voice', message: `Unknown voice "${output.voice}".`, event_id: event.event_id } });
          return;
        }
        voice = output?.voice ?? voice;
        speed = output?.speed ?? speed;
        send({ type: 'session.updated', session: sessionObject() });
        return;
      }
      case 'conversation.item.create': {
        const text = event.item?.content?.map((part) => part.text ?? '').join('') ?? '';
        const item = { id: event.item?.id ?? `item_user_${eventCounter}`, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] };
        pendingUserText.push(text);
        send({ type: 'conversation.item.added', previous_item_id: null, item });
        send({ type: 'conversation.item.done', previous_item_id: null, item });
        return;
      }
      case 'response.create': {
        // As the real server: a reply already running is cancelled first.
        running?.finish('cancelled');
        if (lastTranscriptionFailed) {
          // Nothing understood, nothing to answer: the request ends at once.
          lastTranscriptionFailed = false;
          const id = `resp_${++eventCounter}`;
          send({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [] } });
          send({ type: 'response.done', response: { id, object: 'realtime.response', status: 'cancelled', output: [] } });
          return;
        }
        const userText = pendingUserText.splice(0).join(' ');
        respond(userText);
        return;
      }
      case 'response.cancel':
        if (!running) {
          send({ type: 'error', error: { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'There is no reply to stop.', event_id: event.event_id } });
          return;
        }
        running.finish('cancelled');
        return;
      case 'localchat.conversation.reset':
        running?.finish('cancelled');
        send({ type: 'localchat.conversation.reset' });
        return;
      default:
        send({ type: 'error', error: { type: 'invalid_request_error', code: 'unknown_event', message: `Unknown event type "${event.type}".`, event_id: event.event_id } });
    }
  });

  socket.on('close', () => {
    for (const timer of running?.timers ?? []) clearTimeout(timer);
  });

  function respond(userText: string): void {
    const responseId = `resp_${++eventCounter}`;
    const itemId = `item_${++eventCounter}`;
    const started = Date.now();
    send({ type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
    if (/fail/i.test(userText)) {
      const timer = setTimeout(() => {
        send({
          type: 'response.done',
          response: {
            id: responseId,
            object: 'realtime.response',
            status: 'failed',
            output: [],
            status_details: { type: 'failed', error: { type: 'server_error', code: 'llm_unavailable', message: 'The language model is not ready yet (still downloading). Try again in a minute.' } },
          },
        });
        running = null;
      }, 400);
      running = { responseId, itemId, timers: [timer], text: '', finish: () => undefined };
      return;
    }
    const reply = replies[replyIndex++ % replies.length] ?? '';
    const words = reply.split(/(?<= )/);
    const timers: NodeJS.Timeout[] = [];
    const current = {
      responseId,
      itemId,
      timers,
      text: '',
      finish(status: 'completed' | 'cancelled'): void {
        for (const timer of timers) clearTimeout(timer);
        const item = { id: itemId, type: 'message', role: 'assistant', status: status === 'completed' ? 'completed' : 'incomplete', content: [{ type: 'output_audio', transcript: current.text }] };
        const base = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
        send({ type: 'response.output_audio_transcript.done', ...base, transcript: current.text });
        send({ type: 'response.output_audio.done', ...base });
        send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item });
        send({ type: 'response.done', response: { id: responseId, object: 'realtime.response', status, output: [item] } });
        send({ type: 'localchat.response.metrics', response_id: responseId, ttft_ms: 180, ttfa_ms: 420, total_ms: Date.now() - started });
        running = null;
      },
    };
    running = current;
    const item = { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    timers.push(
      setTimeout(() => {
        send({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item });
        send({ type: 'conversation.item.added', previous_item_id: null, item });
      }, 150),
    );
    words.forEach((word, index) => {
      timers.push(
        setTimeout(() => {
          current.text += word;
          const base = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
          send({ type: 'response.output_audio_transcript.delta', ...base, delta: word });
          // One audio chunk per word: ~word length at speaking pace.
          send({ type: 'response.output_audio.delta', ...base, delta: toneBase64(options.secondsPerWord ?? 0.05 + word.length * 0.012, 220 + (index % 5) * 30) });
        }, 250 + index * deltaMs),
      );
    });
    timers.push(setTimeout(() => current.finish('completed'), 300 + words.length * deltaMs));
  }
}
