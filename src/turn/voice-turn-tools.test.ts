import { describe, expect, it } from 'vitest';
import type { CallOptions } from '../core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../core/llm.js';
import { ToneTTS } from '../testing/tone-tts.js';
import { type VoiceTurnEvent, runVoiceTurn } from './voice-turn.js';

/** Says a sentence, then calls a function (arguments streamed). */
class CallingLLM implements LLM {
  readonly provider = 'test';
  readonly modelId = 'calling';
  readonly contextSize = 4096;
  async *stream(_request: ChatRequest, _options: CallOptions): AsyncIterable<LLMStreamPart> {
    yield { type: 'text-delta', text: 'Let me check the weather.' };
    yield { type: 'tool-call-start', id: 'call_1', name: 'get_weather' };
    yield { type: 'tool-call-delta', id: 'call_1', argumentsDelta: '{"city":' };
    yield { type: 'tool-call-delta', id: 'call_1', argumentsDelta: '"Paris"}' };
    yield { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
    yield { type: 'finish', reason: 'tool-calls' };
  }
}

describe('runVoiceTurn with function calls', () => {
  it('passes tool-call parts out as events and never speaks or shows them', async () => {
    const events: VoiceTurnEvent[] = [];
    const result = await runVoiceTurn(
      {
        llm: new CallingLLM(),
        tts: new ToneTTS(),
        request: { messages: [{ role: 'user', content: 'Weather?' }], tools: [{ name: 'get_weather' }] },
        signal: new AbortController().signal,
        failureReply: () => 'failed',
      },
      (event) => events.push(event),
    );
    expect(result.status).toBe('completed');
    expect(result.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(result.text).toBe('Let me check the weather.');
    expect(result.llmText).toBe('Let me check the weather.');
    expect(events.filter((event) => event.type.startsWith('tool-call')).map((event) => event.type)).toEqual(['tool-call-start', 'tool-call-delta', 'tool-call-delta', 'tool-call']);
    const spoken = events.flatMap((event) => (event.type === 'chunk' ? [event.text] : [])).join(' ');
    expect(spoken).toBe('Let me check the weather.');
    expect(events.some((event) => event.type === 'text' && event.text.includes('Paris'))).toBe(false);
  });
});
