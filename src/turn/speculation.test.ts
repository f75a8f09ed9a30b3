import { describe, expect, it } from 'vitest';
import { Speculation, SpeculativeTurns } from './speculation.js';
import type { VoiceTurnEvent, VoiceTurnResult } from './voice-turn.js';

const result = (text: string): VoiceTurnResult => ({ status: 'completed', text, replyText: text, llmText: text, toolCalls: [], ttftMs: 1, ttfaMs: 2, totalMs: 3, audioSamples: 4 });

/** A reply that emits `text`, then audio, then waits for `release` before more audio. */
function scriptedReply() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const signals: AbortSignal[] = [];
  const reply = async (text: string, signal: AbortSignal, emit: (event: VoiceTurnEvent) => void) => {
    signals.push(signal);
    emit({ type: 'text', text });
    emit({ type: 'audio', chunkIndex: 0, samples: new Int16Array(10) });
    await released;
    if (signal.aborted) return { ...result(text), status: 'cancelled' as const };
    emit({ type: 'audio', chunkIndex: 0, samples: new Int16Array(5) });
    return result(text);
  };
  return { reply, release, signals };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Speculation', () => {
  it('buffers the reply until adopted, then replays it and forwards the rest', async () => {
    const script = scriptedReply();
    const speculation = new Speculation({ transcribe: async () => ' hello ', reply: script.reply });
    await tick();
    expect(await speculation.transcript).toBe('hello');
    const seen: VoiceTurnEvent[] = [];
    const adopted = speculation.adopt(new AbortController().signal, (event) => seen.push(event));
    expect(seen.map((event) => event.type)).toEqual(['text', 'audio']);
    script.release();
    expect((await adopted).status).toBe('completed');
    expect(seen.map((event) => event.type)).toEqual(['text', 'audio', 'audio']);
    expect(speculation.state).toBe('adopted');
  });

  it('a dropped speculation aborts its calls and can never emit or be adopted', async () => {
    const script = scriptedReply();
    const speculation = new Speculation({ transcribe: async () => 'hello', reply: script.reply });
    await tick();
    speculation.drop();
    expect(script.signals[0]!.aborted).toBe(true);
    script.release();
    await speculation.settled();
    await expect(speculation.adopt(new AbortController().signal, () => undefined)).rejects.toThrow(/dropped/);
    expect(speculation.stats()).toMatchObject({ state: 'dropped', audioSamples: 10 });
  });

  it('an empty transcript answers nothing; adopting gives an empty cancelled result', async () => {
    let replied = false;
    const speculation = new Speculation({ transcribe: async () => '  ', reply: async () => ((replied = true), result('x')) });
    const outcome = await speculation.adopt(new AbortController().signal, () => undefined);
    expect(replied).toBe(false);
    expect(outcome).toMatchObject({ status: 'cancelled', text: '' });
  });

  it('cutting the adopting response aborts the speculation', async () => {
    const script = scriptedReply();
    const speculation = new Speculation({ transcribe: async () => 'hi', reply: script.reply });
    await tick();
    const controller = new AbortController();
    const adopted = speculation.adopt(controller.signal, () => undefined);
    controller.abort();
    expect(script.signals[0]!.aborted).toBe(true);
    script.release();
    expect((await adopted).status).toBe('cancelled');
  });
});

describe('SpeculativeTurns', () => {
  it('keeps one at a time, counts drops and holds side work while one runs', async () => {
    let foreground = 0;
    const turns = new SpeculativeTurns(() => {
      foreground++;
      return () => foreground--;
    });
    const first = scriptedReply();
    turns.begin({ transcribe: async () => 'a', reply: first.reply });
    expect(foreground).toBe(1);
    await tick();
    const second = scriptedReply();
    turns.begin({ transcribe: async () => 'b', reply: second.reply });
    expect(first.signals[0]!.aborted).toBe(true);
    expect(foreground).toBe(1);
    first.release();
    await turns.stopped;
    const taken = turns.take();
    expect(taken?.state).toBe('running');
    expect(turns.running).toBeNull();
    expect(foreground).toBe(0);
    expect(turns.counts).toMatchObject({ started: 2, dropped: 1, adopted: 1, droppedAudioSamples: 10 });
    second.release();
  });
});
