import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../src/core/engine-status.js';
import { engineChips, statusItems } from './status-summary.js';

const llm: EngineStatus = { kind: 'llm', provider: 'llama-cpp', modelId: 'qwen2.5-1.5b', state: 'ready' };
const espeak: EngineStatus = { kind: 'tts', provider: 'espeak', modelId: 'espeak-ng', state: 'ready', message: 'Built-in voice.' };
const sttIdle: EngineStatus = { kind: 'stt', provider: 'whisper', modelId: 'whisper-base.en', state: 'idle', message: 'Speech recognition loads when you first speak.' };
const kokoro = (patch: Partial<EngineStatus>): EngineStatus => ({ kind: 'tts', provider: 'kokoro', modelId: 'kokoro-82m', state: 'error', ...patch });

describe('statusItems', () => {
  it('says a missing Kokoro with eSpeak NG speaking is a note, and that speech recognition loads on first use', () => {
    const items = statusItems([llm, kokoro({ message: 'The model kokoro-82m is not downloaded and downloads are off.' }), espeak, sttIdle], [], {});
    expect(items.map((item) => [item.level, item.text, item.quiet ?? false])).toEqual([
      ['info', 'Kokoro not downloaded — speaking with eSpeak NG', false],
      ['info', 'Speech recognition loads when you first speak', true],
    ]);
    expect(items.some((item) => item.level === 'error')).toBe(false);
  });

  it('says "unavailable" when Kokoro is there but failed to load, and red only when no voice speaks', () => {
    expect(statusItems([llm, kokoro({ message: 'Protobuf parsing failed.' }), espeak], [], {})[0]?.text).toBe('Kokoro unavailable — speaking with eSpeak NG');
    const alone = statusItems([llm, kokoro({ message: 'Protobuf parsing failed.' }), { ...espeak, state: 'error' }], [], {});
    expect(alone[0]).toMatchObject({ level: 'error', key: 'tts' });
  });

  it('puts a failed LLM first, in red, with the server message as the detail', () => {
    const items = statusItems([{ ...llm, state: 'error', message: 'No model file.' }, kokoro({ message: 'not downloaded' }), espeak], [{ id: 'n1', level: 'info', message: 'Hello' }], {});
    expect(items[0]).toMatchObject({ key: 'llm', level: 'error', detail: 'No model file.' });
    expect(items.map((item) => item.key)).toEqual(['llm', 'notice:n1', 'tts']);
  });

  it('shows downloads with a percentage, and keeps the fingerprint while the percentage moves', () => {
    const at = (progress: number) => statusItems([llm, kokoro({ state: 'downloading', progress }), espeak], [], {})[0]!;
    expect(at(0.25)).toMatchObject({ level: 'progress', text: 'Downloading the Kokoro voice 25% — speaking with eSpeak NG meanwhile', progress: 0.25 });
    expect(at(0.5).fingerprint).toBe(at(0.25).fingerprint);
  });

  it('says when speech cannot be recognised, and offers typing', () => {
    const items = statusItems([llm, espeak, { ...sttIdle, state: 'error', message: 'Not downloaded.' }], [], {});
    expect(items[0]).toMatchObject({ level: 'warning', text: "Speech can't be recognised — you can type instead" });
  });

  it('changes the fingerprint when the problem changes', () => {
    const first = statusItems([llm, kokoro({ message: 'not downloaded' }), espeak], [], {})[0]!;
    const second = statusItems([llm, kokoro({ message: 'Cannot reach the Hugging Face Hub' }), espeak], [], {})[0]!;
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });
});

describe('engineChips', () => {
  it('names the fallback voice speaking, never red, and hides speech recognition until it is used', () => {
    const chips = engineChips([llm, kokoro({ message: 'not downloaded' }), espeak, sttIdle], {});
    expect(chips.map((chip) => [chip.label, chip.tone, chip.state])).toEqual([
      ['LLM', 'ready', 'ready'],
      ['Voice · eSpeak NG', 'fallback', 'ready'],
    ]);
  });

  it('shows a download in progress on the chip', () => {
    const chips = engineChips([{ ...llm, state: 'downloading', progress: 0.4 }, espeak], {});
    expect(chips[0]).toMatchObject({ tone: 'busy', state: '40%', progress: 0.4 });
  });
});
