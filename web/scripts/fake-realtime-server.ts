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
}

/** The CSP the real server is expected to send. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
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
};

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

export async function startFakeServer(options: FakeServerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const scenario = options.scenario ?? 'ready';
  const deltaMs = options.deltaMs ?? 45;
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
  sockets.on('connection', (socket) => session(socket, scenario, deltaMs));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.close(() => resolve());
      }),
  };
}

function session(socket: WebSocket, scenario: Scenario, deltaMs: number): void {
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

  socket.on('message', (data) => {
    let event: { type?: string; event_id?: string; item?: { id?: string; content?: { text?: string }[] }; session?: { audio?: { output?: { voice?: string; speed?: number } } } };
    try {
      event = JSON.parse(String(data));
    } catch {
      send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'The frame is not valid JSON.' } });
      return;
    }
    switch (event.type) {
      case 'session.update': {
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
        if (running) {
          send({ type: 'error', error: { type: 'invalid_request_error', code: 'conversation_already_has_active_response', message: 'A reply is already running.', event_id: event.event_id } });
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
          send({ type: 'response.output_audio.delta', ...base, delta: toneBase64(0.05 + word.length * 0.012, 220 + (index % 5) * 30) });
        }, 250 + index * deltaMs),
      );
    });
    timers.push(setTimeout(() => current.finish('completed'), 300 + words.length * deltaMs));
  }
}
