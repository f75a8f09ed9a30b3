/**
 * The learner profile (who is practising, at what level, how they want to be corrected) and what
 * each CEFR level changes in the tutor: the prompt's vocabulary and sentence-length guidance, how
 * much help the tutor gives, and the speed of its voice.
 *
 * Level descriptors paraphrase the CEFR global scale (Council of Europe, "Common European
 * Framework of Reference for Languages", 2001, Table 1; unchanged in the 2020 Companion Volume).
 *
 * @example
 * const profile = parseProfile({ level: 'A2', nativeLanguage: 'Spanish' });
 * voiceSpeed(profile); // 0.85
 */
import { z } from 'zod';

/** CEFR levels, lowest first. */
export const CEFR_LEVELS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;
export type CefrLevel = (typeof CEFR_LEVELS)[number];

/** A level the learner can choose: a CEFR level, or `'auto'` ("estimate for me"). */
export type LevelChoice = CefrLevel | 'auto';

/**
 * How the tutor treats mistakes in its spoken replies:
 * - `off`: never corrects (the correction cards may still be shown, that is the UI's choice);
 * - `recast`: uses the correct form naturally in its reply, without naming the mistake (default);
 * - `explicit`: names the mistake and the correct form briefly, then goes on.
 */
export const CORRECTION_STYLES = ['off', 'recast', 'explicit'] as const;
export type CorrectionStyle = (typeof CORRECTION_STYLES)[number];

/** Bounds of a voice speed multiplier (1 = the voice's normal rate). */
export const MIN_VOICE_SPEED = 0.5;
export const MAX_VOICE_SPEED = 2;

export const cefrLevelSchema = z.enum(CEFR_LEVELS);

/**
 * Free text the learner typed: one line, trimmed, cut to `maxLength` characters so it cannot bloat
 * the prompt; empty or `null` (the store's "not set") means unset.
 */
function optionalText(maxLength: number) {
  return z
    .string()
    .nullish()
    .transform((value) => value?.replace(/\s+/g, ' ').trim().slice(0, maxLength).trim() || undefined);
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** A language as the learner or the store gives it: a name (`'Spanish'`) or a BCP 47 tag (`'es'`, `'pt-BR'`), as an English name. */
function languageName(value: string | undefined): string | undefined {
  if (!value || !/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(value)) return value;
  try {
    return languageNames.of(value) ?? value;
  } catch {
    return value;
  }
}

/**
 * Zod schema of a learner profile; every field has a default, so `{}` parses to
 * {@link DEFAULT_PROFILE}. Lenient with stored profiles (src/store): `null` means unset, long
 * texts are cut, unknown keys are dropped.
 */
export const learnerProfileSchema = z.object({
  /** What the tutor calls the learner (at most 40 characters). */
  name: optionalText(40),
  /** Chosen level, or `'auto'` to let the session reports estimate it. */
  level: z.enum([...CEFR_LEVELS, 'auto']).default('auto'),
  /**
   * The last level estimated by a session report ({@link CefrLevel}); used when `level` is
   * `'auto'`. Set by the app, not the learner.
   */
  estimatedLevel: cefrLevelSchema.nullish().transform((value) => value ?? undefined),
  /** The learner's first language as an English name (`'Spanish'`; a BCP 47 tag such as `'es'` is turned into one). */
  nativeLanguage: optionalText(40).transform(languageName),
  /** What the learner wants to practise, free text (cut to 200 characters). */
  goals: optionalText(200),
  correctionStyle: z.enum(CORRECTION_STYLES).default('recast'),
  /**
   * Voice speed multiplier (0.5-2; 1 = normal), or `'auto'` (or `null`) for the level's speed
   * ({@link LevelGuide.voiceSpeed}).
   */
  speakingSpeed: z
    .union([z.literal('auto'), z.number().min(MIN_VOICE_SPEED).max(MAX_VOICE_SPEED)])
    .nullish()
    .transform((value) => value ?? 'auto'),
});

/** A learner profile, as parsed by {@link learnerProfileSchema}. */
export type LearnerProfile = z.output<typeof learnerProfileSchema>;
/** What {@link parseProfile} accepts: any field may be left out. */
export type LearnerProfileInput = z.input<typeof learnerProfileSchema>;

/** The profile of a learner who has set nothing: level `'auto'`, gentle recasts, level-based voice speed. */
export const DEFAULT_PROFILE: LearnerProfile = Object.freeze(learnerProfileSchema.parse({}));

/**
 * Validates and completes a profile (defaults for missing fields).
 * @throws z.ZodError naming the invalid field (e.g. `level`, `speakingSpeed`)
 * @example parseProfile(store.getProfile()) // the store's profile: nulls become unset, extra keys dropped
 */
export function parseProfile(input: unknown): LearnerProfile {
  return learnerProfileSchema.parse(input ?? {});
}

/** What a CEFR level changes in the tutor. */
export interface LevelGuide {
  level: CefrLevel;
  /** CEFR global-scale descriptor, shortened (Council of Europe 2001, Table 1). */
  descriptor: string;
  /** Vocabulary, sentence length and help, as one or two sentences for the system prompt. */
  prompt: string;
  /** How much the tutor helps: suggests words and offers choices (`much`) ... only when asked (`little`). */
  help: 'much' | 'some' | 'little';
  /** Voice speed multiplier for this level (1 = the voice's normal rate). */
  voiceSpeed: number;
  /** Soft upper bound on the tutor's sentence length, in words. */
  maxSentenceWords: number;
}

/**
 * Per-level guidance. Sentence lengths and speeds are our choices (slower, shorter input for
 * beginners, as graded readers and learner podcasts do); the descriptors are the CEFR's.
 */
export const LEVEL_GUIDES: Readonly<Record<CefrLevel, LevelGuide>> = Object.freeze({
  A1: {
    level: 'A1',
    descriptor: 'Understands and uses familiar everyday expressions and very basic phrases; can introduce themselves and interact simply if the other person talks slowly and clearly.',
    prompt: 'Use only very common words and sentences of under 8 words. If they get stuck, suggest a word or offer two simple choices.',
    help: 'much',
    voiceSpeed: 0.8,
    maxSentenceWords: 8,
  },
  A2: {
    level: 'A2',
    descriptor: 'Understands sentences and frequent expressions about familiar matters (family, shopping, work); can handle simple, routine exchanges.',
    prompt: 'Use simple everyday words and sentences of under 12 words. If they get stuck, suggest a word.',
    help: 'much',
    voiceSpeed: 0.85,
    maxSentenceWords: 12,
  },
  B1: {
    level: 'B1',
    descriptor: 'Understands the main points of clear standard speech on familiar matters; can deal with most travel situations and describe experiences, hopes and opinions briefly.',
    prompt: 'Use everyday English and clear sentences; explain a less common word in a few words.',
    help: 'some',
    voiceSpeed: 0.9,
    maxSentenceWords: 16,
  },
  B2: {
    level: 'B2',
    descriptor: 'Understands the main ideas of complex speech; interacts with a degree of fluency and spontaneity; can explain a viewpoint with advantages and disadvantages.',
    prompt: 'Speak naturally, with some idioms and varied vocabulary; help only when they are stuck.',
    help: 'some',
    voiceSpeed: 0.95,
    maxSentenceWords: 20,
  },
  C1: {
    level: 'C1',
    descriptor: 'Understands demanding, longer speech and implicit meaning; expresses ideas fluently and spontaneously, flexibly for social and professional purposes.',
    prompt: 'Speak naturally at full complexity, with idioms and precise vocabulary; help only when asked.',
    help: 'little',
    voiceSpeed: 1,
    maxSentenceWords: 25,
  },
  C2: {
    level: 'C2',
    descriptor: 'Understands virtually everything heard with ease; expresses themselves spontaneously, very fluently and precisely, with finer shades of meaning.',
    prompt: 'Speak as with a fluent native speaker, with nuance, idioms and humour; help only when asked.',
    help: 'little',
    voiceSpeed: 1,
    maxSentenceWords: 25,
  },
});

/** Voice speed when the level is not known yet (`'auto'` with no estimate): between B1 and B2. */
export const UNKNOWN_LEVEL_VOICE_SPEED = 0.9;

/**
 * The level the tutor should aim at: the chosen level, else the last estimate, else `undefined`
 * (unknown: the tutor starts simple and adapts).
 */
export function effectiveLevel(profile: LearnerProfile): CefrLevel | undefined {
  return profile.level === 'auto' ? profile.estimatedLevel : profile.level;
}

/**
 * Voice speed multiplier for the profile: `speakingSpeed` when set, else the level's speed
 * ({@link LEVEL_GUIDES}: A1 0.8 ... C1/C2 1.0), else {@link UNKNOWN_LEVEL_VOICE_SPEED}.
 */
export function voiceSpeed(profile: LearnerProfile): number {
  if (profile.speakingSpeed !== 'auto') return profile.speakingSpeed;
  const level = effectiveLevel(profile);
  return level ? LEVEL_GUIDES[level].voiceSpeed : UNKNOWN_LEVEL_VOICE_SPEED;
}

/** Position of a level on the scale: A1 = 0 ... C2 = 5. */
export function levelIndex(level: CefrLevel): number {
  return CEFR_LEVELS.indexOf(level);
}
