import { describe, expect, it } from 'vitest';
import { fetchPageSmartTurn, SMART_TURN_STATUS_URL } from './page-smart-turn.js';
import type { PageSmartTurn } from './smart-turn.js';

const model: PageSmartTurn = { predict: async () => 0.9, release: async () => undefined };
const FILE_URL = '/api/models/smart-turn.onnx';

/** A server with or without the model; records what the page asked for. */
function server(bytes: Uint8Array | null, fileStatus = 200) {
  const asked: string[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = String(input);
    asked.push(url);
    if (url === SMART_TURN_STATUS_URL) return Response.json({ id: 'smart-turn-v3.2', installed: bytes !== null, url: bytes ? FILE_URL : null });
    if (url === FILE_URL && bytes) return new Response(fileStatus === 200 ? new Blob([new Uint8Array(bytes)]) : null, { status: fileStatus });
    return new Response('', { status: 404 });
  };
  return { asked, fetch: fetch as typeof globalThis.fetch };
}

describe('fetchPageSmartTurn', () => {
  it('is null when the server has no model, without asking for the file or loading the runtime', async () => {
    const { asked, fetch } = server(null);
    let loaded = false;
    const result = await fetchPageSmartTurn({
      fetch,
      load: async () => {
        loaded = true;
        return model;
      },
    });
    expect(result).toBeNull();
    expect(asked).toEqual([SMART_TURN_STATUS_URL]);
    expect(loaded).toBe(false);
  });

  it('loads the bytes the server sends', async () => {
    const bytes = new Uint8Array([8, 1, 2, 3]);
    const { asked, fetch } = server(bytes);
    let given: Uint8Array | null = null;
    const result = await fetchPageSmartTurn({
      fetch,
      load: async (received) => {
        given = received;
        return model;
      },
    });
    expect(result).toBe(model);
    expect(given).toEqual(bytes);
    expect(asked).toEqual([SMART_TURN_STATUS_URL, FILE_URL]);
  });

  it('fails on HTTP errors', async () => {
    await expect(fetchPageSmartTurn({ fetch: server(new Uint8Array([1]), 500).fetch, load: async () => model })).rejects.toThrow(/HTTP 500/);
    await expect(fetchPageSmartTurn({ fetch: (async () => new Response('', { status: 401 })) as typeof fetch, load: async () => model })).rejects.toThrow(/HTTP 401/);
  });
});
