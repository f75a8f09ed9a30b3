/**
 * The learner profile: one row, created on the first update. The level and correction style shape
 * the tutor (src/tutor); the speaking speed is the TTS speed.
 */
import { z } from 'zod';
import type { Connection } from './connection.js';
import { StoreError } from './store-error.js';

/** CEFR levels (Council of Europe, Common European Framework of Reference for Languages). */
export const CEFR_LEVELS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;

export const profileSchema = z.object({
  name: z.string().trim().max(100).nullable(),
  /** A CEFR level, or `auto`: the tutor estimates it. */
  level: z.enum([...CEFR_LEVELS, 'auto']),
  /** The learner's first language, as they name it or as a BCP 47 tag ("Spanish", "es"); null if not given. */
  nativeLanguage: z.string().trim().max(64).nullable(),
  goals: z.string().max(2000),
  /** `off`: no correction; `recast`: the spoken reply repeats the sentence correctly; `explicit`: it names the error. */
  correctionStyle: z.enum(['off', 'recast', 'explicit']),
  /** TTS speed, 0.5-2 (1 = normal). */
  speakingSpeed: z.number().min(0.5).max(2),
});
export const profilePatchSchema = profileSchema.partial();

export type LearnerProfile = z.infer<typeof profileSchema>;
export type ProfilePatch = z.input<typeof profilePatchSchema>;

/** The profile before the learner sets anything. */
export const DEFAULT_PROFILE: LearnerProfile = { name: null, level: 'auto', nativeLanguage: null, goals: '', correctionStyle: 'recast', speakingSpeed: 1 };

interface ProfileRow {
  name: string | null;
  level: string;
  native_language: string | null;
  goals: string;
  correction_style: string;
  speaking_speed: number;
  updated_at: number;
}

const SQL = {
  get: 'SELECT name, level, native_language, goals, correction_style, speaking_speed, updated_at FROM profile WHERE id = 1',
  put: `INSERT INTO profile (id, name, level, native_language, goals, correction_style, speaking_speed, updated_at)
    VALUES (1, @name, @level, @nativeLanguage, @goals, @correctionStyle, @speakingSpeed, @updatedAt)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, native_language = excluded.native_language,
      goals = excluded.goals, correction_style = excluded.correction_style, speaking_speed = excluded.speaking_speed, updated_at = excluded.updated_at`,
} as const;

/** The single-row learner profile; used through Store. */
export class ProfileRepository {
  constructor(private readonly connection: Connection) {}

  get(): LearnerProfile & { updatedAt: number | null } {
    const row = this.connection.statement<ProfileRow>(SQL.get).get();
    if (!row) return { ...DEFAULT_PROFILE, updatedAt: null };
    const raw: Record<keyof LearnerProfile, unknown> = {
      name: row.name,
      level: row.level,
      nativeLanguage: row.native_language,
      goals: row.goals,
      correctionStyle: row.correction_style,
      speakingSpeed: row.speaking_speed,
    };
    // A value this version does not know (written by a later one) falls back to the default.
    const profile = Object.fromEntries((Object.keys(DEFAULT_PROFILE) as (keyof LearnerProfile)[]).map((key) => {
      const field = profileSchema.shape[key].safeParse(raw[key]);
      return [key, field.success ? field.data : DEFAULT_PROFILE[key]];
    })) as LearnerProfile;
    return { ...profile, updatedAt: row.updated_at };
  }

  update(patch: ProfilePatch): LearnerProfile & { updatedAt: number } {
    const parsed = profilePatchSchema.strict().safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreError('constraint', `Invalid profile ${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}.`, { path: this.connection.path });
    }
    const write = this.connection.db.transaction(() => {
      const { updatedAt: _, ...current } = this.get();
      const next: LearnerProfile = { ...current, ...stripUndefined(parsed.data) };
      const updatedAt = this.connection.now();
      this.connection.statement(SQL.put).run({ ...next, updatedAt });
      return { ...next, updatedAt };
    });
    return write.immediate();
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
