import { describe, expect, it } from 'vitest';
import type { ClientEvent, ServerEvent } from '../realtime/client.js';
import { TimelineRecorder } from './timeline.js';

const server = (event: Record<string, unknown>) => event as unknown as ServerEvent;

describe('TimelineRecorder', () => {
  it('records every stage of a spoken turn on the page clock, and the server figures', () => {
    const recorder = new TimelineRecorder();
    recorder.committed(1000, 1900);
    recorder.serverEvent(server({ type: 'response.created', response: { id: 'r1' } }), 1910);
    recorder.serverEvent(server({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'hello' }), 2100);
    recorder.serverEvent(server({ type: 'response.output_audio_transcript.delta', response_id: 'r1', item_id: 'a1', delta: 'Oh' }), 2300);
    recorder.serverEvent(server({ type: 'response.output_audio_transcript.delta', response_id: 'r1', item_id: 'a1', delta: ' nice,' }), 2350);
    recorder.serverEvent(server({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'a1', delta: 'AAAA' }), 2500);
    recorder.playing('a1', 2600);
    recorder.serverEvent(server({ type: 'response.done', response: { id: 'r1', status: 'completed' } }), 3000);
    recorder.serverEvent(server({ type: 'localchat.response.metrics', response_id: 'r1', ttft_ms: 380, ttfa_ms: 590, total_ms: 1100 }), 3010);
    const [turn] = recorder.getSnapshot();
    expect(turn).toMatchObject({
      kind: 'spoken',
      responseId: 'r1',
      itemId: 'a1',
      outcome: 'completed',
      stages: { stopped: 1000, decided: 1900, transcript: 2100, firstToken: 2300, firstClause: 2350, firstAudio: 2500, playback: 2600 },
      server: { ttftMs: 380, ttfaMs: 590, totalMs: 1100 },
    });
  });

  it('starts a typed turn when the message is sent, and an opening line at its response', () => {
    const recorder = new TimelineRecorder();
    recorder.serverEvent(server({ type: 'response.created', response: { id: 'open' } }), 10);
    recorder.clientEvent({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] } } as unknown as ClientEvent, 500);
    recorder.serverEvent(server({ type: 'response.created', response: { id: 'r2' } }), 510);
    // A short reply without a clause end: its first clause is the whole reply, when it ends.
    recorder.serverEvent(server({ type: 'response.output_text.delta', response_id: 'r2', item_id: 'a2', delta: 'Hi there' }), 700);
    recorder.serverEvent(server({ type: 'response.done', response: { id: 'r2', status: 'completed' } }), 800);
    const [opening, typed] = recorder.getSnapshot();
    expect(opening).toMatchObject({ kind: 'tutor', responseId: 'open', stages: { decided: 10 } });
    expect(typed).toMatchObject({ kind: 'typed', responseId: 'r2', stages: { decided: 500, firstToken: 700, firstClause: 800 } });
    expect(typed!.stages.stopped).toBeUndefined();
  });

  it('keeps the last turns only, and notifies subscribers', () => {
    const recorder = new TimelineRecorder();
    let calls = 0;
    recorder.subscribe(() => calls++);
    for (let index = 0; index < 25; index++) recorder.committed(index, index + 1);
    expect(recorder.getSnapshot()).toHaveLength(20);
    expect(calls).toBe(25);
    recorder.clear();
    expect(recorder.getSnapshot()).toHaveLength(0);
  });
});
