/**
 * The tutor as the server uses it: the learner's profile, scenarios and topics, the system
 * prompt, and the side tasks that run next to the spoken reply (corrections, word explanations,
 * session reports) — with everything persisted through the SafeStore, which never throws: when
 * the database fails the conversation goes on in memory.
 */
import { type SummaryInput, summarizeTurns } from '../tutor/lesson-summary.js';
import type { Logger } from 'pino';
import type { EngineSet } from '../engines/engine-set.js';
import type { SafeStore } from '../store/safe-store.js';
import type { NewTurn, TurnPatch } from '../store/conversations.js';
import { type Correction, correctUtterance, diffWords } from '../tutor/corrections.js';
import { SideWorkScheduler } from '../turn/side-work.js';
import { type CefrLevel, type LearnerProfile, parseProfile, voiceSpeed } from '../tutor/profile.js';
import { recordPauses } from '../tutor/thinking-time.js';
import { buildOpening, buildSystemPrompt } from '../tutor/prompt.js';
import { type SessionReport, type SessionTurn, computeSessionStats, writeSessionReport } from '../tutor/report.js';
import { type Scenario, type Topic, findTopic, scenarioLibrary, topicOfTheDay } from '../tutor/scenarios.js';
import { type WordExplanation, explainWord } from '../tutor/vocabulary.js';

/** Settings keys kept next to the profile. */
const SPEED_AUTO_KEY = 'profile.speakingSpeedAuto';
const ESTIMATED_LEVEL_KEY = 'profile.estimatedLevel';
/** The learner's recent within-turn pauses, ms (newest last): their learned thinking time. */
const TURN_PAUSES_KEY = 'profile.turnPauses';

/** What a session is about: free conversation, a topic, or a role-play scenario. */
export interface SessionTheme {
  scenario?: Scenario;
  topic?: Topic;
}

/** Profile fields to change; `null` clears a text field, `speakingSpeed: 'auto'` follows the level. */
export interface ProfileUpdate {
  name?: string | null;
  level?: LearnerProfile['level'];
  nativeLanguage?: string | null;
  goals?: string | null;
  correctionStyle?: LearnerProfile['correctionStyle'];
  speakingSpeed?: number | 'auto';
}

export class TutorService {
  /** Keeps correction cards from competing with replies for the LLM (see SideWorkScheduler). */
  readonly sideWork = new SideWorkScheduler();

  constructor(
    private readonly options: { store: SafeStore | null; engines: EngineSet; logger: Logger },
  ) {}

  get store(): SafeStore | null {
    return this.options.store;
  }

  /** The learner's profile (defaults when nothing is saved or the database is unavailable). */
  profile(): LearnerProfile {
    const store = this.options.store?.store;
    if (!store) return parseProfile({});
    try {
      const saved = store.getProfile();
      const settings = store.getSettings();
      return parseProfile({
        ...saved,
        speakingSpeed: settings[SPEED_AUTO_KEY] === false ? saved.speakingSpeed : 'auto',
        estimatedLevel: settings[ESTIMATED_LEVEL_KEY] ?? null,
      });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read the learner profile');
      return parseProfile({});
    }
  }

  /**
   * Saves profile fields. `speakingSpeed: 'auto'` follows the level.
   * @throws StoreError (`constraint`) for an invalid value; Error when there is no database
   */
  updateProfile(update: ProfileUpdate): LearnerProfile {
    const store = this.options.store?.store;
    if (!store) throw new Error('The database is not available: the profile cannot be saved right now.');
    const { speakingSpeed, goals, ...rest } = update;
    const patch: Record<string, unknown> = { ...rest, ...(goals !== undefined ? { goals: goals ?? '' } : {}) };
    if (typeof speakingSpeed === 'number') patch.speakingSpeed = speakingSpeed;
    store.updateProfile(patch);
    if (speakingSpeed !== undefined) store.setSetting(SPEED_AUTO_KEY, speakingSpeed === 'auto');
    return this.profile();
  }

  /** The pauses recorded inside the learner's spoken turns, ms, oldest first (empty without a database). */
  turnPauses(): number[] {
    const store = this.options.store?.store;
    if (!store) return [];
    try {
      const saved = store.getSettings()[TURN_PAUSES_KEY];
      return Array.isArray(saved) ? saved.filter((value): value is number => typeof value === 'number' && Number.isFinite(value)) : [];
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read the learner pauses');
      return [];
    }
  }

  /** Adds within-turn pauses (ms) to the learner's record. Never throws: a failing database keeps nothing. */
  recordTurnPauses(pauses: number[]): void {
    const store = this.options.store?.store;
    if (!store || pauses.length === 0) return;
    try {
      store.setSetting(TURN_PAUSES_KEY, recordPauses(this.turnPauses(), pauses));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not save the learner pauses');
    }
  }

  /** The TTS speed for this learner: their choice, or their level's. */
  voiceSpeed(): number {
    return voiceSpeed(this.profile());
  }

  async scenarios(): Promise<Scenario[]> {
    return scenarioLibrary();
  }

  topicOfTheDay(): Topic {
    return topicOfTheDay();
  }

  /**
   * Resolves a theme from ids.
   * @throws Error naming an unknown scenario or topic
   */
  async theme(scenarioId?: string | null, topicId?: string | null): Promise<SessionTheme> {
    if (scenarioId) {
      const scenario = (await this.scenarios()).find((candidate) => candidate.id === scenarioId);
      if (!scenario) throw new Error(`Unknown scenario "${scenarioId}".`);
      return { scenario };
    }
    if (topicId) {
      const topic = topicId === 'today' ? this.topicOfTheDay() : findTopic(topicId);
      if (!topic) throw new Error(`Unknown topic "${topicId}".`);
      return { topic };
    }
    return {};
  }

  systemPrompt(theme: SessionTheme = {}): string {
    return buildSystemPrompt({ profile: this.profile(), scenario: theme.scenario, topic: theme.topic });
  }

  /** The tutor's first line for a theme (a scene's opening, a topic's question), or null for free talk. */
  opening(theme: SessionTheme): string | null {
    return theme.scenario || theme.topic ? buildOpening(theme.scenario, theme.topic) : null;
  }

  /**
   * A correction card for a learner utterance, or null (correct sentence, style off, or model
   * failure). It runs as side work: never while a reply is being produced (paused and run again
   * after it), so cards may come a little later but replies never wait for them.
   */
  async correct(text: string, context: string | undefined, signal: AbortSignal): Promise<(Correction & { diff: ReturnType<typeof diffWords> }) | null> {
    const profile = this.profile();
    if (profile.correctionStyle === 'off') return null;
    const llm = this.options.engines.llm();
    const correction = await this.sideWork.run(
      (taskSignal) => correctUtterance(llm, { text, profile, context }, { signal: taskSignal, logger: this.options.logger, conversationId: 'localchat-corrections' }),
      signal,
    );
    if (!correction || correction.errors.length === 0) return null;
    return { ...correction, diff: diffWords(correction.original, correction.corrected) };
  }

  /**
   * A running summary of a lesson's oldest turns (src/tutor/lesson-summary.ts), made as side work
   * like a correction card: never while a reply is produced.
   * @returns the summary, or null (aborted, empty, engine failure)
   */
  async summarize(input: SummaryInput, signal: AbortSignal): Promise<string | null> {
    const llm = this.options.engines.llm();
    const summary = await this.sideWork.run(
      (taskSignal) => summarizeTurns(llm, input, { signal: taskSignal, logger: this.options.logger, conversationId: 'localchat-summaries' }),
      signal,
    );
    return summary ?? null;
  }

  async explain(word: string, sentence: string | undefined, signal: AbortSignal): Promise<WordExplanation | null> {
    return explainWord(this.options.engines.llm(), { word, sentence, profile: this.profile() }, { signal, logger: this.options.logger, conversationId: 'localchat-words' });
  }

  /**
   * Writes (and saves) the report of a stored conversation.
   * @returns null when the conversation is unknown or the database is unavailable
   */
  async report(conversationId: string, signal: AbortSignal): Promise<SessionReport | null> {
    const store = this.options.store?.store;
    const conversation = store?.getConversation(conversationId);
    if (!store || !conversation) return null;
    const turns: SessionTurn[] = conversation.turns.map((turn) => ({
      role: turn.role,
      text: turn.text,
      ...(turn.source === 'spoken' && turn.speechMs ? { speechMs: turn.speechMs } : {}),
    }));
    const corrections: Correction[] = conversation.turns.flatMap((turn) =>
      turn.correction
        ? [
            {
              original: turn.correction.original,
              corrected: turn.correction.corrected,
              errors: turn.correction.errors.map((error) => ({ ...error, category: error.category as Correction['errors'][number]['category'], span: [error.start, error.end] as [number, number] })),
            },
          ]
        : [],
    );
    const stats = computeSessionStats(turns, corrections);
    const newWords = store
      .listVocabulary({ limit: 200 })
      .filter((entry) => entry.conversationId === conversationId)
      .map((entry) => entry.word);
    const report = await writeSessionReport(this.options.engines.llm(), stats, turns, this.profile(), { signal, newWords, logger: this.options.logger, conversationId: 'localchat-reports' });
    this.options.store?.saveReport(conversationId, report);
    this.options.store?.endConversation(conversationId);
    if (report.levelEstimate) this.rememberLevel(report.levelEstimate);
    return report;
  }

  private rememberLevel(level: CefrLevel): void {
    try {
      this.options.store?.store?.setSetting(ESTIMATED_LEVEL_KEY, level);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not save the estimated level');
    }
  }

  // Persistence, through the SafeStore: never throws; the conversation goes on in memory.
  startConversation(id: string, title: string | undefined, theme: SessionTheme): void {
    this.options.store?.createConversation({ id, title, scenarioId: theme.scenario?.id ?? null, mode: theme.scenario ? 'scenario' : theme.topic ? `topic:${theme.topic.id}` : 'free' });
  }
  /**
   * @returns true when saved (or no database is configured); false when it waits for retry or was
   * lost: the store's `writeFailed` event and `status()` say which and why
   */
  saveTurn(turn: NewTurn): boolean {
    return this.options.store?.appendTurn(turn) ?? true;
  }
  updateTurn(conversationId: string, turnId: string, patch: TurnPatch): void {
    this.options.store?.updateTurn(conversationId, turnId, patch);
  }
  saveCorrection(conversationId: string, turnId: string, correction: Correction): void {
    this.options.store?.saveCorrection({
      conversationId,
      turnId,
      original: correction.original,
      corrected: correction.corrected,
      // An error whose words were not found in the utterance is kept with an empty span (no highlight).
      errors: correction.errors.map((error) => ({
        start: error.span?.[0] ?? 0,
        end: error.span?.[1] ?? 0,
        category: error.category,
        original: error.original,
        correction: error.correction,
        rule: error.rule,
        example: error.example,
      })),
    });
  }
}
