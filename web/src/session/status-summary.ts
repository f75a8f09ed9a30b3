/**
 * What the status line and the engine chips say, from the engines' states, the server's notices
 * and the downloads: one item per thing the learner may need to know, worded for what is true
 * (a missing voice with eSpeak NG speaking is a note, not an error; speech recognition that loads
 * on first use is not "loading"). Pure, so it is unit-tested.
 */
import type { DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import type { EngineStatus, Notice } from './state.js';

/** error: something does not work; warning: works worse; progress: a download or load; info: a note. */
export type StatusLevel = 'error' | 'warning' | 'progress' | 'info';

export interface StatusItem {
  /** Stable per source (an engine kind or a notice id). */
  key: string;
  level: StatusLevel;
  /** One short line. */
  text: string;
  /** The server's full message, shown on demand. */
  detail?: string;
  /** 0-1 while downloading, when known. */
  progress?: number | null;
  /** Quiet items are listed in the details only, never in the status line. */
  quiet?: boolean;
  /**
   * Changes when the problem changes: a dismissed item stays hidden while its fingerprint stays
   * the same (download percentages are not part of it).
   */
  fingerprint: string;
}

const SEVERITY: Record<StatusLevel, number> = { error: 0, warning: 1, progress: 2, info: 3 };

/** Display names of engine providers. */
export const PROVIDER_NAMES: Record<string, string> = {
  kokoro: 'Kokoro',
  espeak: 'eSpeak NG',
  supertonic: 'Supertonic',
  'llama-cpp': 'llama.cpp',
  'openai-compatible': 'the LLM server',
  whisper: 'Whisper',
};

export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

/** Download progress of an engine (0-1), from its status or the latest progress event. */
export function engineProgress(engine: EngineStatus, downloads: Record<string, DownloadProgressEvent>): number | null {
  if (engine.state !== 'downloading') return null;
  const download = downloads[engine.modelId];
  if (download?.total_bytes) return Math.min(1, download.downloaded_bytes / download.total_bytes);
  if (engine.progress !== undefined) return Math.min(1, Math.max(0, engine.progress));
  return null;
}

function percentText(progress: number | null): string {
  return progress === null ? '' : ` ${Math.round(progress * 100)}%`;
}

/** A voice that failed because its model is not on this machine (rather than failing to load). */
function isMissingModel(message: string | undefined): boolean {
  return /not downloaded|downloads are off|Hugging Face|Hub|reach|ENOTFOUND|EAI_AGAIN|fetch failed|network|offline|does not exist|404/i.test(message ?? '');
}

/** The configured voice (the first TTS status) and the one speaking now. */
function voices(engines: readonly EngineStatus[]): { configured: EngineStatus | undefined; speaking: EngineStatus | undefined } {
  const tts = engines.filter((engine) => engine.kind === 'tts');
  const configured = tts[0];
  const speaking = configured?.state === 'ready' ? configured : tts.find((engine) => engine.state === 'ready');
  return { configured, speaking };
}

function item(key: string, level: StatusLevel, text: string, detail?: string, extra: Partial<StatusItem> = {}): StatusItem {
  return { key, level, text, detail, fingerprint: `${key}|${level}|${text}|${detail ?? ''}`, ...extra };
}

/** Everything worth saying, most severe first. */
export function statusItems(engines: readonly EngineStatus[], notices: readonly Notice[], downloads: Record<string, DownloadProgressEvent>): StatusItem[] {
  const items: StatusItem[] = [];
  for (const notice of notices) items.push(item(`notice:${notice.id}`, notice.level, notice.message, undefined, { fingerprint: `notice|${notice.level}|${notice.message}` }));

  const llm = engines.find((engine) => engine.kind === 'llm');
  if (llm) {
    const model = llm.modelId;
    if (llm.state === 'error') items.push(item('llm', 'error', 'The language model is not working: replies cannot be written', llm.message));
    else if (llm.state === 'downloading') {
      const progress = engineProgress(llm, downloads);
      items.push({ ...item('llm', 'progress', `Downloading the language model${percentText(progress)}`, model), progress, fingerprint: `llm|progress|${model}` });
    } else if (llm.state === 'loading') items.push(item('llm', 'progress', 'Loading the language model…', model, { progress: null }));
  }

  const { configured, speaking } = voices(engines);
  if (configured && configured !== speaking) {
    const name = providerName(configured.provider);
    const fallback = speaking ? providerName(speaking.provider) : null;
    if (configured.state === 'error') {
      if (fallback) {
        const what = isMissingModel(configured.message) ? 'not downloaded' : 'unavailable';
        items.push(item('tts', 'info', `${name} ${what} — speaking with ${fallback}`, configured.message));
      } else items.push(item('tts', 'error', `${name} is not working, and no other voice is ready: replies are shown as text only`, configured.message));
    } else if (configured.state === 'downloading') {
      const progress = engineProgress(configured, downloads);
      const text = `Downloading the ${name} voice${percentText(progress)}${fallback ? ` — speaking with ${fallback} meanwhile` : ''}`;
      items.push({ ...item('tts', 'progress', text, configured.modelId), progress, fingerprint: `tts|progress|${configured.modelId}` });
    } else if (configured.state === 'loading') {
      items.push(item('tts', 'progress', `Loading the ${name} voice…${fallback ? ` Speaking with ${fallback} meanwhile` : ''}`, configured.modelId, { progress: null, quiet: fallback !== null }));
    }
  }

  const stt = engines.find((engine) => engine.kind === 'stt');
  if (stt) {
    if (stt.state === 'idle') items.push(item('stt', 'info', 'Speech recognition loads when you first speak', `${providerName(stt.provider)} · ${stt.modelId}`, { quiet: true }));
    else if (stt.state === 'downloading') {
      const progress = engineProgress(stt, downloads);
      items.push({ ...item('stt', 'progress', `Downloading speech recognition${percentText(progress)}`, stt.modelId), progress, fingerprint: `stt|progress|${stt.modelId}` });
    } else if (stt.state === 'loading') items.push(item('stt', 'progress', 'Loading speech recognition…', stt.modelId, { progress: null }));
    else if (stt.state === 'error') items.push(item('stt', 'warning', "Speech can't be recognised — you can type instead", stt.message));
  }

  // Downloads the engines do not name (e.g. a model pulled for another engine).
  const named = new Set(engines.filter((engine) => engine.state === 'downloading').map((engine) => engine.modelId));
  for (const download of Object.values(downloads)) {
    if (named.has(download.model)) continue;
    const progress = download.total_bytes ? Math.min(1, download.downloaded_bytes / download.total_bytes) : null;
    items.push({ ...item(`download:${download.model}`, 'progress', `Downloading ${download.model}${percentText(progress)}`), progress, fingerprint: `download|${download.model}` });
  }
  return items.sort((a, b) => SEVERITY[a.level] - SEVERITY[b.level]);
}

/** One engine chip in the header: what works now, in a word. */
export interface EngineChipView {
  key: string;
  label: string;
  /** The chip's colour: ready (works), fallback (works, with another engine), busy, error. */
  tone: 'ready' | 'fallback' | 'busy' | 'error';
  state: string;
  detail: string;
  progress: number | null;
}

/**
 * The header's chips: the LLM, the voice speaking now (named when it is a fallback) and speech
 * recognition while it is downloading, loading or failed (not while it waits for first use).
 */
export function engineChips(engines: readonly EngineStatus[], downloads: Record<string, DownloadProgressEvent>): EngineChipView[] {
  const chips: EngineChipView[] = [];
  const tone = (engine: EngineStatus): EngineChipView['tone'] => (engine.state === 'ready' ? 'ready' : engine.state === 'error' ? 'error' : 'busy');
  const stateWord = (engine: EngineStatus, progress: number | null): string =>
    engine.state === 'downloading' ? (progress === null ? 'downloading' : `${Math.round(progress * 100)}%`) : engine.state;
  const describe = (engine: EngineStatus) => [`${providerName(engine.provider)} · ${engine.modelId}`, engine.message].filter(Boolean).join('\n');

  const llm = engines.find((engine) => engine.kind === 'llm');
  if (llm) {
    const progress = engineProgress(llm, downloads);
    chips.push({ key: 'llm', label: 'LLM', tone: tone(llm), state: stateWord(llm, progress), detail: describe(llm), progress });
  }
  const { configured, speaking } = voices(engines);
  if (configured) {
    if (speaking && speaking !== configured) {
      const busy = configured.state === 'downloading' || configured.state === 'loading';
      const progress = engineProgress(configured, downloads);
      chips.push({
        key: 'tts',
        label: `Voice · ${providerName(speaking.provider)}`,
        tone: 'fallback',
        state: busy ? `${providerName(configured.provider)} ${stateWord(configured, progress)}` : 'ready',
        detail: `${describe(speaking)}\n${describe(configured)}`,
        progress: busy ? progress : null,
      });
    } else {
      const progress = engineProgress(configured, downloads);
      chips.push({ key: 'tts', label: 'Voice', tone: tone(configured), state: stateWord(configured, progress), detail: describe(configured), progress });
    }
  }
  const stt = engines.find((engine) => engine.kind === 'stt');
  if (stt && stt.state !== 'idle' && stt.state !== 'ready') {
    const progress = engineProgress(stt, downloads);
    chips.push({ key: 'stt', label: 'Speech input', tone: stt.state === 'error' ? 'fallback' : 'busy', state: stt.state === 'error' ? 'type instead' : stateWord(stt, progress), detail: describe(stt), progress });
  }
  return chips;
}
