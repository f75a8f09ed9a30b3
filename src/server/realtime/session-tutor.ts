/**
 * The tutor's side of one realtime session: the theme (free talk, topic, scenario), saving every
 * turn as soon as it exists, correction cards after each reply, resuming a saved conversation, and
 * the session report. Without a TutorService (tests, embedding) it only keeps the default persona.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors.js';
import type { Conversation, ConversationTurn, WindowOptions } from '../../turn/conversation.js';
import { DEFAULT_TUTOR_PROMPT } from '../../tutor/persona.js';
import { learnedThinkingTimeMs, recordPauses } from '../../tutor/thinking-time.js';
import type { WriteFailure } from '../../store/safe-store.js';
import type { SessionTheme, TutorService } from '../tutor-service.js';
import type { ConversationLoadedEvent, CorrectionPayload, OutgoingEvent } from './server-events.js';

export interface TurnTimings {
  ttftMs?: number | null;
  ttfaMs?: number | null;
  totalMs?: number | null;
}

export class SessionTutor {
  theme: SessionTheme = {};
  /** Whether the conversation has a row in the store yet (created with its first turn). */
  private stored = false;
  /** Learner turns already corrected (by item id). */
  private readonly corrected = new Set<string>();
  /** A summary of the oldest turns is being made. */
  private summarizing = false;

  constructor(
    private readonly tutor: TutorService | undefined,
    private readonly conversation: Conversation,
    private readonly emit: (event: OutgoingEvent) => void,
    private readonly logger: Logger,
    private readonly lifetime: AbortSignal,
  ) {}

  /** The system prompt for the current theme and profile. */
  systemPrompt(): string {
    return this.tutor?.systemPrompt(this.theme) ?? DEFAULT_TUTOR_PROMPT;
  }

  /** The learner's voice speed, if a profile says one. */
  voiceSpeed(): number | undefined {
    return this.tutor?.voiceSpeed();
  }

  /**
   * Starts a new conversation with a theme.
   * @returns the tutor's opening line, or null for free conversation
   * @throws Error for an unknown scenario or topic
   */
  async newConversation(scenarioId?: string | null, topicId?: string | null): Promise<string | null> {
    const theme = this.tutor ? await this.tutor.theme(scenarioId, topicId) : {};
    this.theme = theme;
    this.stored = false;
    this.corrected.clear();
    this.conversation.reset();
    this.conversation.systemPrompt = this.systemPrompt();
    const scenario = theme.scenario;
    this.emit({
      type: 'localchat.conversation.reset',
      conversation_id: this.conversation.id,
      scenario: scenario ? { id: scenario.id, title: scenario.title, learner_goal: scenario.learnerGoal, useful_phrases: [...scenario.usefulPhrases] } : null,
      topic: theme.topic ? { id: theme.topic.id, title: theme.topic.title } : null,
    });
    return this.tutor?.opening(theme) ?? null;
  }

  /**
   * Loads a saved conversation into this session.
   * @throws Error when it does not exist or the database is unavailable
   */
  async resume(conversationId: string): Promise<void> {
    const saved = this.tutor?.store?.store?.getConversation(conversationId);
    if (!saved) throw new Error(`There is no saved conversation "${conversationId}" (or the database is unavailable).`);
    this.theme = this.tutor ? await this.tutor.theme(saved.scenarioId, null).catch(() => ({})) : {};
    this.conversation.reset();
    this.conversation.id = saved.id;
    this.conversation.systemPrompt = this.systemPrompt();
    this.stored = true;
    this.corrected.clear();
    const turns: ConversationLoadedEvent['turns'] = [];
    for (const turn of saved.turns) {
      this.conversation.add({ id: turn.id, role: turn.role, text: turn.text, interrupted: turn.interrupted });
      if (turn.correction) this.corrected.add(turn.id);
      turns.push({
        id: turn.id,
        role: turn.role,
        text: turn.text,
        interrupted: turn.interrupted,
        source: turn.source ?? null,
        correction: turn.correction ? { original: turn.correction.original, corrected: turn.correction.corrected, errors: turn.correction.errors, diff: [] } : null,
      });
    }
    this.emit({ type: 'localchat.conversation.loaded', conversation_id: saved.id, title: saved.title ?? null, scenario_id: saved.scenarioId ?? null, turns });
  }

  /** A learner turn exists (typed: at once; spoken: once transcribed). Saved now. */
  userTurn(turn: ConversationTurn, source: 'typed' | 'spoken', speechMs?: number): void {
    if (!this.tutor) return;
    this.ensureStored(turn.text);
    this.saving(turn.id, () => this.tutor!.saveTurn({ conversationId: this.conversation.id, id: turn.id, role: 'user', text: turn.text, source, speechMs: speechMs ?? null }));
  }

  /** A reply finished (completed, cancelled or failed). Saved now. */
  assistantTurn(turn: ConversationTurn, timings: TurnTimings): void {
    if (!this.tutor) return;
    this.ensureStored(turn.text);
    this.saving(turn.id, () => this.tutor!.saveTurn({ conversationId: this.conversation.id, id: turn.id, role: 'assistant', text: turn.text, interrupted: turn.interrupted ?? false, ...timings }));
  }

  /** A reply was cut to what the learner heard (barge-in). */
  truncated(turn: ConversationTurn): void {
    this.tutor?.updateTurn(this.conversation.id, turn.id, { text: turn.text, interrupted: true });
  }

  /**
   * After a reply: when the history window will soon be trimmed, summarizes the turns the trim
   * will drop (side work), so the summary is ready to join the window at that trim. One at a time.
   */
  summarizeAhead(contextTokens: number, options: WindowOptions): void {
    if (!this.tutor || this.summarizing) return;
    const turns = this.conversation.turnsToSummarize(contextTokens, options);
    if (turns.length === 0) return;
    this.summarizing = true;
    const { id } = this.conversation;
    const throughId = turns.at(-1)!.id;
    void this.tutor
      .summarize({ ...(this.conversation.summary ? { previous: this.conversation.summary.text } : {}), turns: turns.map(({ role, text }) => ({ role, text })) }, this.lifetime)
      .then((text) => {
        if (text && this.conversation.id === id) this.conversation.setSummary({ text, throughId });
      })
      .finally(() => {
        this.summarizing = false;
      });
  }

  /**
   * After a reply: a correction card for the learner turn it answered. Runs after the reply so it
   * never competes with the spoken answer for the CPU (its TTFA stays as it was).
   */
  async correctAfterReply(userTurn: ConversationTurn | undefined): Promise<void> {
    if (!this.tutor || !userTurn || userTurn.role !== 'user' || !userTurn.text || this.corrected.has(userTurn.id)) return;
    this.corrected.add(userTurn.id);
    const index = this.conversation.turns.indexOf(userTurn);
    const context = index > 0 ? this.conversation.turns[index - 1]?.text : undefined;
    try {
      const correction = await this.tutor.correct(userTurn.text, context, this.lifetime);
      if (!correction || this.lifetime.aborted) return;
      const payload: CorrectionPayload = {
        original: correction.original,
        corrected: correction.corrected,
        errors: correction.errors.map((error) => ({
          original: error.original,
          correction: error.correction,
          category: error.category,
          rule: error.rule,
          example: error.example,
          start: error.span?.[0] ?? null,
          end: error.span?.[1] ?? null,
        })),
        diff: correction.diff,
      };
      this.emit({ type: 'localchat.correction', item_id: userTurn.id, correction: payload });
      this.tutor.saveCorrection(this.conversation.id, userTurn.id, correction);
    } catch (error) {
      this.logger.info({ err: error }, 'correction failed');
    }
  }

  /** The learner's within-turn pauses (ms), from the profile; kept in memory without a database. */
  private pauses: number[] | null = null;

  /** Records a pause inside the learner's spoken turn (ms); saved with the profile. */
  recordPause(pauseMs: number): void {
    this.pauses = recordPauses(this.turnPauses(), [pauseMs]);
    this.tutor?.recordTurnPauses([pauseMs]);
  }

  /** The turn-end silence learned from this learner's pauses, ms (the default until enough are known). */
  learnedThinkingTimeMs(): number {
    return learnedThinkingTimeMs(this.turnPauses());
  }

  /** How many within-turn pauses are known for this learner. */
  pauseCount(): number {
    return this.turnPauses().length;
  }

  private turnPauses(): number[] {
    this.pauses ??= this.tutor?.turnPauses() ?? [];
    return this.pauses;
  }

  /** Ends the conversation and sends its report. */
  async endSession(): Promise<void> {
    if (!this.tutor || !this.stored) {
      this.emit({ type: 'localchat.session.report', conversation_id: this.conversation.id, report: null });
      return;
    }
    this.tutor.store?.flush();
    try {
      const report = await this.tutor.report(this.conversation.id, this.lifetime);
      this.emit({ type: 'localchat.session.report', conversation_id: this.conversation.id, report });
    } catch (error) {
      this.emit({ type: 'localchat.notice', level: 'error', message: `The session report could not be written: ${errorMessage(error)}` });
    }
  }

  /**
   * Runs one save; when it was not saved at once (disk full, database locked, ...) tells the
   * client with a `localchat.notice` (level `error`, `item_id`, `code` `store_<reason>`): the same
   * words for every turn of one outage, so the UI shows one banner.
   */
  private saving(itemId: string, save: () => boolean): void {
    const store = this.tutor?.store;
    let failure: WriteFailure | undefined;
    const listener = (reported: WriteFailure) => {
      failure ??= reported;
    };
    store?.on('writeFailed', listener);
    let saved: boolean;
    try {
      saved = save();
    } finally {
      store?.off('writeFailed', listener);
    }
    if (saved) return;
    const reason = failure ?? { code: 'unknown', message: 'The database did not take the write.', queued: false };
    const message = !reason.queued
      ? `This message could not be saved: ${reason.message}`
      : reason.code === 'full'
        ? "Can't save: the disk is full. Free some space; your conversation is kept and saved once there is room (unless the server stops first)."
        : `Can't save right now: ${reason.message}`;
    this.logger.debug({ itemId, code: reason.code, queued: reason.queued }, 'turn not saved yet');
    this.emit({ type: 'localchat.notice', level: 'error', message, item_id: itemId, code: `store_${reason.code}` });
  }

  private ensureStored(firstText: string): void {
    if (this.stored || !this.tutor) return;
    this.stored = true;
    const title = this.theme.scenario?.title ?? this.theme.topic?.title ?? (firstText.length > 60 ? `${firstText.slice(0, 57)}…` : firstText) ?? undefined;
    this.tutor.startConversation(this.conversation.id, title || undefined, this.theme);
  }
}
