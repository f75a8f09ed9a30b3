/**
 * Smart Turn for the page, from the server (src/server/routes/model-files.ts):
 * `GET /api/models/smart-turn` says whether the optional model is downloaded (`localchat models
 * pull smart-turn-v3.2`) and where its file is (`/api/models/smart-turn.onnx`). Asking first keeps
 * a failed request (a 404) out of the console when it is not; then silence alone ends the
 * learner's turns. The runtime (onnxruntime-web, ./smart-turn.ts) is imported only when there is a
 * model to run.
 */
import type { PageSmartTurn } from './smart-turn.js';

/** Where the server says whether it has the model. */
export const SMART_TURN_STATUS_URL = '/api/models/smart-turn';

export interface PageSmartTurnDeps {
  fetch?: typeof fetch;
  /** Builds the model from its bytes (default: ./smart-turn.ts on the WASM files in the page's `vad/`). */
  load?: (bytes: Uint8Array) => Promise<PageSmartTurn>;
}

async function loadInPage(bytes: Uint8Array): Promise<PageSmartTurn> {
  const [{ loadSmartTurn }, { VAD_ASSET_DIR }] = await Promise.all([import('./smart-turn.js'), import('./silero.js')]);
  return loadSmartTurn(bytes, new URL(VAD_ASSET_DIR, document.baseURI).href);
}

/**
 * The server's Smart Turn, loaded in the page.
 * @returns the model, or null when the server has none
 * @throws Error when a request fails (an HTTP error, the network) or the bytes are not a Smart
 *   Turn v3 model
 */
export async function fetchPageSmartTurn(deps: PageSmartTurnDeps = {}): Promise<PageSmartTurn | null> {
  const get = deps.fetch ?? fetch;
  const status = await get(SMART_TURN_STATUS_URL, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!status.ok) throw new Error(`the server did not say whether it has the end-of-turn model (HTTP ${status.status})`);
  const { installed, url } = (await status.json()) as { installed?: unknown; url?: unknown };
  if (installed !== true || typeof url !== 'string') return null;
  const response = await get(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`the end-of-turn model could not be downloaded (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return (deps.load ?? loadInPage)(bytes);
}
