/**
 * The engine registry: builds the LLM and TTS engines from config — the only place that imports
 * concrete engines — and keeps their status for `/health`, the UI and `doctor`.
 *
 * Start-up never waits for a model: the server answers at once. eSpeak NG (no download) speaks
 * while Kokoro loads or downloads; while no LLM is usable, replies say why and what to do.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { type Config, llmProvider, sttProvider, ttsProvider } from '../config.js';
import type { CallOptions } from '../core/call-options.js';
import type { EngineState, EngineStatus } from '../core/engine-status.js';
import { EngineError, ModelLoadError, errorMessage, isAbortError } from '../core/errors.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../core/llm.js';
import type { STT } from '../core/stt.js';
import type { TTS } from '../core/tts.js';
import type { StreamingVad, VadSettings } from '../core/vad.js';
import { DEFAULT_MODEL_IDS, findCatalogEntry, kokoroEntry, parseModelReference } from '../models/catalog.js';
import { DEFAULT_SUPERTONIC_MODEL_ID } from '../models/tts-catalog.js';
import type { ModelDownloadProgress } from '../models/download.js';
import { ModelManager } from '../models/model-manager.js';
import type { DownloadProgress, EngineSet, EngineSetEvents } from './engine-set.js';
import { LlamaCppLLM } from './llm/llama-cpp.js';
import { OpenAICompatibleLLM } from './llm/openai-compatible.js';
import { EspeakTTSEngine } from './tts/espeak.js';
import { KokoroTTSEngine } from './tts/kokoro.js';
import { OpenAICompatibleTTS } from './tts/openai-compatible.js';
import { SupertonicTTSEngine } from './tts/supertonic.js';
import { OpenAICompatibleSTT } from './stt/openai-compatible.js';
import { WhisperSTT } from './stt/whisper.js';
import { createSileroVad } from './vad/silero-vad.js';
import type { EndOfTurnModel } from '../core/end-of-turn.js';
import { SMART_TURN_FILE, SMART_TURN_MODEL_ID } from '../models/turn-catalog.js';
import { isInstalled, modelFilePath } from '../models/models-dir.js';
import { SmartTurn } from './end-of-turn/smart-turn.js';

/** How to give LocalChat an LLM: shown in replies, the UI and the terminal. */
export const HOW_TO_PROVIDE_AN_LLM =
  'Give it a GGUF model with `localchat --model /path/to/model.gguf` (or `npm start -- --model /path/to/model.gguf` in a clone), or use LM Studio or Ollama with `localchat --llm-base-url http://localhost:1234/v1`.';

/** An LLM stand-in while none is usable: every reply fails with the reason, so the learner hears it. */
class UnavailableLLM implements LLM {
  readonly provider: string;
  readonly modelId: string;
  readonly contextSize = 4096;
  constructor(provider: string, modelId: string, private readonly reason: () => string) {
    this.provider = provider;
    this.modelId = modelId;
  }
  // eslint-disable-next-line require-yield
  async *stream(_request: ChatRequest, _options: CallOptions): AsyncIterable<LLMStreamPart> {
    throw new EngineError(this.provider, this.reason());
  }
}

/** The catalog id of the configured TTS model (Kokoro by dtype, Supertonic by version), or the remote model name. */
export function ttsModelId(config: Config): string {
  switch (ttsProvider(config)) {
    case 'kokoro':
      return kokoroEntry(config.kokoroDtype).id;
    case 'supertonic':
      return config.ttsModel ?? DEFAULT_SUPERTONIC_MODEL_ID;
    case 'openai-compatible':
      return config.ttsModel ?? 'tts-1';
    case 'espeak':
      return 'espeak-ng';
  }
}

/**
 * Loads the configured TTS engine (downloading its model when allowed and needed): eSpeak NG at
 * once, Kokoro or Supertonic from the models directory, or a remote `/v1/audio/speech` server.
 * Used by the registry and by `localchat say`.
 * @param onDownload called when a download starts
 * @throws ModelLoadError / ModelDownloadError when the model cannot be had
 */
export async function createTts(config: Config, models: ModelManager, signal: AbortSignal, onDownload?: () => void): Promise<TTS> {
  const provider = ttsProvider(config);
  if (provider === 'espeak') {
    const espeak = new EspeakTTSEngine();
    await espeak.prepare();
    return espeak;
  }
  if (provider === 'openai-compatible') {
    return new OpenAICompatibleTTS({ baseURL: config.ttsBaseUrl!, model: ttsModelId(config), apiKey: config.ttsApiKey, ...(config.ttsVoices ? { voices: config.ttsVoices } : {}) });
  }
  const id = ttsModelId(config);
  const entry = provider === 'kokoro' ? kokoroEntry(config.kokoroDtype) : findCatalogEntry(id);
  if (!entry || entry.kind !== 'tts' || (provider === 'supertonic' && !entry.id.startsWith('supertonic'))) {
    throw new ModelLoadError(id, `"${id}" is not a known ${provider} model.`, 'Use --tts-model supertonic-2 or supertonic-3.');
  }
  const installed = await models.isInstalled(entry);
  if (!installed && !config.download) {
    throw new ModelLoadError(config.modelsDir, `The ${provider} voice (${entry.id}) is not downloaded and downloads are off.`, `Run \`localchat models pull ${entry.id}\`, or use --tts espeak.`);
  }
  if (!installed) onDownload?.();
  const modelDir = await models.ensure(entry, { signal });
  if (provider === 'kokoro') {
    const kokoro = await KokoroTTSEngine.load({ modelDir, dtype: config.kokoroDtype, defaultVoice: config.voice?.includes('_') ? config.voice : undefined });
    await kokoro.prepare();
    return kokoro;
  }
  const version = Number(/supertonic-(\d)/.exec(entry.id)?.[1] ?? 2) as 1 | 2 | 3;
  const supertonic = await SupertonicTTSEngine.load({ modelDir, version, steps: config.ttsSteps, catalogId: entry.id, modelId: entry.repo });
  await supertonic.prepare();
  return supertonic;
}

/** Lists the models of the configured OpenAI-compatible server (for `doctor`). @throws EngineError */
export async function probeRemoteLlm(config: Config, signal: AbortSignal): Promise<string[]> {
  const llm = new OpenAICompatibleLLM({ baseURL: config.llmBaseUrl!, model: config.llmModel ?? 'default', apiKey: config.llmApiKey, warmup: config.llmWarmup });
  return llm.listModels({ signal });
}

/** Loads eSpeak NG and speaks a word (for `doctor`). @returns ms taken */
export async function probeEspeak(): Promise<number> {
  const started = performance.now();
  const espeak = new EspeakTTSEngine();
  for await (const _ of espeak.synthesize('Hello.', { signal: AbortSignal.timeout(10_000) })) void _;
  return performance.now() - started;
}

export interface EngineRegistryOptions {
  config: Config;
  logger: Logger;
  /** Shared model manager (for progress in the terminal); one is made when absent. */
  models?: ModelManager;
}

export class EngineRegistry extends EventEmitter<EngineSetEvents> implements EngineSet {
  readonly models: ModelManager;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly controller = new AbortController();
  private llmEngine: LLM | null = null;
  private llmStatus: EngineStatus;
  private readonly espeak = new EspeakTTSEngine();
  /** The configured voice once loaded (Kokoro, Supertonic, remote); eSpeak NG speaks until then. */
  private primaryTts: TTS | null = null;
  private espeakReady = false;
  private ttsStatus: EngineStatus;
  private sttEngine: STT | null = null;
  private sttStatus: EngineStatus | null;
  private sttLoading: Promise<void> | null = null;
  private readonly unavailable: UnavailableLLM;
  /** Smart Turn, when its optional model is downloaded (`localchat models pull smart-turn-v3.2`). */
  private endOfTurnModel: EndOfTurnModel | null = null;

  constructor(options: EngineRegistryOptions) {
    super();
    // Every realtime session listens for status and downloads (and stops when it closes).
    this.setMaxListeners(0);
    this.config = options.config;
    this.logger = options.logger;
    this.models = options.models ?? new ModelManager({ modelsDir: this.config.modelsDir, logger: this.logger });
    const provider = llmProvider(this.config);
    const llmId = provider === 'openai-compatible' ? (this.config.llmModel ?? 'server default') : (this.config.model ?? DEFAULT_MODEL_IDS.llm);
    this.llmStatus = { kind: 'llm', provider, modelId: llmId, state: 'loading' };
    this.ttsStatus = { kind: 'tts', provider: ttsProvider(this.config), modelId: ttsModelId(this.config), state: 'loading' };
    const stt = sttProvider(this.config);
    this.sttStatus =
      stt === 'none'
        ? null
        : {
            kind: 'stt',
            provider: stt,
            modelId: this.config.sttModel ?? (stt === 'whisper' ? DEFAULT_MODEL_IDS.stt : 'whisper-1'),
            // Loaded on first use (prepareStt): a learner who only types never pays for it.
            state: 'idle',
            message: stt === 'whisper' ? 'Speech recognition loads when you first speak.' : undefined,
          };
    this.unavailable = new UnavailableLLM(provider, llmId, () => this.unavailableReason());
    this.models.on('progress', (progress) => this.onDownloadProgress(progress));
  }

  /** Starts loading every engine in the background; resolves when each has settled (ready or error). */
  async start(): Promise<void> {
    await Promise.all([this.startLlm(), this.startTts(), this.startEndOfTurn()]);
  }

  /** The semantic end-of-turn model, when it is downloaded and loaded; null otherwise. */
  endOfTurn(): EndOfTurnModel | null {
    return this.endOfTurnModel;
  }

  llm(): LLM {
    return this.llmEngine ?? this.unavailable;
  }

  tts(): TTS {
    return this.primaryTts ?? this.espeak;
  }

  fallbackTts(): TTS | null {
    return this.primaryTts ? this.espeak : null;
  }

  ttsEngines(): TTS[] {
    return this.primaryTts ? [this.primaryTts, this.espeak] : [this.espeak];
  }

  /** The STT if it is loaded; null until then (`status()` says why). */
  stt(): STT | null {
    return this.sttEngine;
  }

  /** Loads (and first downloads) the STT on first use: a learner who only types never pays for it. */
  async prepareStt(): Promise<STT | null> {
    if (!this.sttEngine && !this.sttLoading && this.sttStatus && this.sttStatus.state !== 'error') this.sttLoading = this.startStt();
    await this.sttLoading;
    return this.sttEngine;
  }

  createVad(settings: VadSettings): Promise<StreamingVad> {
    return createSileroVad(settings);
  }

  /**
   * LLM, then the configured TTS; while Kokoro is configured but not speaking, also eSpeak NG
   * (which speaks meanwhile), so the UI can show both "Kokoro: downloading" and "eSpeak NG: ready".
   */
  status(): EngineStatus[] {
    const statuses = [{ ...this.llmStatus }, { ...this.ttsStatus }, ...(this.sttStatus ? [{ ...this.sttStatus }] : [])];
    if (this.ttsStatus.provider !== 'espeak' && !this.primaryTts) {
      statuses.push({ kind: 'tts', provider: 'espeak', modelId: this.espeak.modelId, state: this.espeakReady ? 'ready' : 'loading', message: 'Built-in voice, speaking until the configured voice is ready.' });
    }
    return statuses;
  }

  llmHint(): string {
    if (this.llmStatus.provider === 'openai-compatible') {
      return `Please check that your LLM server at ${this.config.llmBaseUrl} is running (LM Studio, Ollama or llama-server) and has a model loaded, then try again.`;
    }
    if (this.llmStatus.state === 'downloading') return 'Please wait for the download to finish; the progress is shown at the top.';
    if (this.llmStatus.state === 'loading') return 'Please try again in a moment.';
    if (!this.llmEngine) return 'Please give LocalChat a GGUF model file, or connect it to LM Studio or Ollama: the details are shown at the top of the page and in the terminal.';
    return 'Please try again; if it keeps failing, restart LocalChat and check its terminal.';
  }

  reportFailure(kind: EngineStatus['kind'], error: unknown): void {
    const message = errorMessage(error);
    if (kind === 'llm' && this.llmEngine) {
      this.setLlmStatus({ state: 'error', message: `Last reply failed: ${message}` });
    } else if (kind === 'tts') {
      this.logger.warn({ err: error }, 'TTS failure reported');
    }
  }

  reportSuccess(kind: EngineStatus['kind']): void {
    if (kind === 'llm' && this.llmEngine && this.llmStatus.state === 'error') {
      this.setLlmStatus({ state: 'ready', modelId: this.llmEngine.modelId, message: undefined });
    }
  }

  async dispose(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled([this.llmEngine?.dispose?.(), this.primaryTts?.dispose?.(), (this.sttEngine as { dispose?: () => Promise<void> } | null)?.dispose?.()]);
  }

  private unavailableReason(): string {
    const { state, message, progress } = this.llmStatus;
    if (state === 'downloading') return `the language model is still downloading${progress !== undefined ? ` (${Math.round(progress * 100)}%)` : ''}`;
    if (state === 'loading') return 'the language model is still loading';
    return message && message.length < 80 ? message : 'no language model is loaded';
  }

  private async startLlm(): Promise<void> {
    const { config } = this;
    const { signal } = this.controller;
    try {
      if (llmProvider(config) === 'openai-compatible') {
        await this.startRemoteLlm();
        return;
      }
      const reference = config.model ?? DEFAULT_MODEL_IDS.llm;
      const parsed = parseModelReference(reference, { kind: 'llm' });
      let path: string;
      if (parsed.type === 'local') {
        path = parsed.path;
        if (!existsSync(path)) throw new ModelLoadError(path, `The model file ${path} does not exist.`, 'Check the path given with --model / LOCALCHAT_LLM_MODEL.');
      } else if (config.download || (await this.models.isInstalled(parsed.entry))) {
        const installed = await this.models.isInstalled(parsed.entry);
        if (!installed) this.setLlmStatus({ state: 'downloading', progress: 0 });
        path = await this.models.ensure(parsed.entry, { signal });
      } else {
        throw new ModelLoadError(this.config.modelsDir, `The model ${parsed.entry.id} is not downloaded and downloads are off.`, `Run \`localchat models pull ${parsed.entry.id}\`. ${HOW_TO_PROVIDE_AN_LLM}`);
      }
      this.setLlmStatus({ state: 'loading', progress: undefined, downloadedBytes: undefined, totalBytes: undefined });
      const catalogId = parsed.type === 'catalog' ? parsed.entry.id : undefined;
      this.llmEngine = await LlamaCppLLM.create({
        modelPath: path,
        modelId: catalogId,
        contextSize: config.contextSize,
        maxConversations: config.conversations,
        threads: config.threads,
      });
      this.setLlmStatus({ state: 'ready', modelId: this.llmEngine.modelId, message: undefined });
      this.logger.info({ model: this.llmEngine.modelId }, 'LLM ready');
    } catch (error) {
      if (isAbortError(error)) return;
      const fix = ModelLoadError.isInstance(error) ? ` ${error.fix}` : ` ${HOW_TO_PROVIDE_AN_LLM}`;
      this.setLlmStatus({ state: 'error', message: `${errorMessage(error)}${fix}`, progress: undefined, downloadedBytes: undefined, totalBytes: undefined });
      this.logger.warn(`LLM unavailable: ${errorMessage(error)}${fix}`);
    }
  }

  private async startRemoteLlm(): Promise<void> {
    const baseURL = this.config.llmBaseUrl!;
    const probe = new OpenAICompatibleLLM({ baseURL, model: this.config.llmModel ?? 'default', apiKey: this.config.llmApiKey, contextSize: this.config.contextSize });
    let model = this.config.llmModel;
    try {
      const models = await probe.listModels({ signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(5000)]) });
      model ??= models[0];
      if (!model) throw new EngineError('openai-compatible', `The server at ${baseURL} lists no models: load one in LM Studio / Ollama, or set --llm-model.`);
    } catch (error) {
      if (!model) {
        // Keep an engine anyway: the server may come up later, and each reply retries it.
        this.llmEngine = probe;
        this.setLlmStatus({ state: 'error', message: `${errorMessage(error)} Start the server, or check --llm-base-url.` });
        return;
      }
      this.logger.warn({ err: error }, 'could not list the models of the LLM server');
    }
    this.llmEngine = new OpenAICompatibleLLM({ baseURL, model, apiKey: this.config.llmApiKey, contextSize: this.config.contextSize, warmup: this.config.llmWarmup });
    this.setLlmStatus({ state: 'ready', modelId: model, message: undefined });
  }

  /** Loads Smart Turn if its optional model is in the models directory (never downloads it by itself). */
  private async startEndOfTurn(): Promise<void> {
    const entry = findCatalogEntry(SMART_TURN_MODEL_ID);
    if (!entry) return;
    try {
      if (!(await isInstalled(entry, this.config.modelsDir))) return;
      this.endOfTurnModel = await SmartTurn.load(modelFilePath(entry, SMART_TURN_FILE, this.config.modelsDir), entry.id);
      this.logger.info({ model: entry.id }, 'semantic end of turn ready');
    } catch (error) {
      this.logger.warn({ err: error, model: entry.id }, 'semantic end of turn unavailable: turns end on silence alone');
    }
  }

  private async startStt(): Promise<void> {
    const { config } = this;
    const status = this.sttStatus!;
    try {
      if (status.provider === 'openai-compatible') {
        this.sttEngine = new OpenAICompatibleSTT({ baseURL: config.sttBaseUrl!, model: status.modelId, apiKey: config.sttApiKey });
        this.setSttStatus({ state: 'ready', message: undefined });
        return;
      }
      const entry = findCatalogEntry(status.modelId);
      if (!entry || entry.kind !== 'stt') {
        throw new ModelLoadError(status.modelId, `"${status.modelId}" is not a known speech recognition model.`, 'Use --stt-model whisper-base.en, whisper-small.en, moonshine-tiny or moonshine-base.');
      }
      const installed = await this.models.isInstalled(entry);
      if (!installed && !config.download) {
        throw new ModelLoadError(config.modelsDir, `The speech recognition model ${entry.id} is not downloaded and downloads are off.`, `Run \`localchat models pull ${entry.id}\`.`);
      }
      if (!installed) this.setSttStatus({ state: 'downloading', progress: 0, message: undefined });
      const modelDir = await this.models.ensure(entry, { signal: this.controller.signal });
      this.setSttStatus({ state: 'loading', progress: undefined, downloadedBytes: undefined, totalBytes: undefined, message: undefined });
      this.sttEngine = await WhisperSTT.load({ modelDir, modelId: entry.repo, catalogId: entry.id });
      this.setSttStatus({ state: 'ready' });
      this.logger.info({ model: entry.id }, 'speech recognition ready');
    } catch (error) {
      if (isAbortError(error)) return;
      const fix = ModelLoadError.isInstance(error) ? ` ${error.fix}` : '';
      this.setSttStatus({ state: 'error', message: `${errorMessage(error)}${fix} You can type instead, or use the browser's speech recognition.`, progress: undefined, downloadedBytes: undefined, totalBytes: undefined });
      this.logger.warn(`speech recognition unavailable: ${errorMessage(error)}${fix}`);
    } finally {
      this.sttLoading = null;
    }
  }

  private async startTts(): Promise<void> {
    try {
      await this.espeak.prepare();
      this.espeakReady = true;
      this.emit('status', this.status());
    } catch (error) {
      this.logger.error({ err: error }, 'eSpeak NG failed to load');
    }
    if (this.ttsStatus.provider === 'espeak') {
      this.setTtsStatus({ state: 'ready', message: undefined });
      return;
    }
    const name = { kokoro: 'Kokoro', supertonic: 'Supertonic', 'openai-compatible': 'The TTS server' }[this.ttsStatus.provider as 'kokoro'] ?? this.ttsStatus.provider;
    try {
      const tts = await createTts(this.config, this.models, this.controller.signal, () => this.setTtsStatus({ state: 'downloading', progress: 0 }));
      this.primaryTts = tts;
      this.setTtsStatus({ state: 'ready', message: undefined, progress: undefined, downloadedBytes: undefined, totalBytes: undefined });
      this.logger.info(`${name} voice ready`);
    } catch (error) {
      if (isAbortError(error)) return;
      const fix = ModelLoadError.isInstance(error) ? ` ${error.fix}` : '';
      this.setTtsStatus({ state: 'error', message: `${name} is unavailable: ${errorMessage(error)}${fix} Speaking with eSpeak NG instead.`, progress: undefined, downloadedBytes: undefined, totalBytes: undefined });
      this.logger.warn(`${name} unavailable, speaking with eSpeak NG: ${errorMessage(error)}`);
    }
  }

  private onDownloadProgress(progress: ModelDownloadProgress): void {
    const event: DownloadProgress = {
      model: progress.modelId,
      file: progress.file,
      downloadedBytes: progress.modelDownloadedBytes,
      totalBytes: progress.modelTotalBytes ?? null,
      bytesPerSecond: progress.bytesPerSecond,
      etaSeconds: progress.modelEtaSeconds ?? null,
    };
    this.emit('download', event);
    const fraction = progress.modelTotalBytes ? progress.modelDownloadedBytes / progress.modelTotalBytes : undefined;
    const patch = { progress: fraction, downloadedBytes: progress.modelDownloadedBytes, totalBytes: progress.modelTotalBytes };
    if (this.llmStatus.state === 'downloading' && this.llmStatus.modelId === progress.modelId) Object.assign(this.llmStatus, patch);
    if (this.ttsStatus.state === 'downloading' && this.ttsStatus.modelId === progress.modelId) Object.assign(this.ttsStatus, patch);
    if (this.sttStatus?.state === 'downloading' && this.sttStatus.modelId === progress.modelId) Object.assign(this.sttStatus, patch);
  }

  private setLlmStatus(patch: Partial<EngineStatus> & { state: EngineState }): void {
    this.llmStatus = { ...this.llmStatus, ...patch };
    this.emit('status', this.status());
  }

  private setSttStatus(patch: Partial<EngineStatus> & { state: EngineState }): void {
    this.sttStatus = { ...this.sttStatus!, ...patch };
    this.emit('status', this.status());
  }

  private setTtsStatus(patch: Partial<EngineStatus> & { state: EngineState }): void {
    this.ttsStatus = { ...this.ttsStatus, ...patch };
    this.emit('status', this.status());
  }
}

