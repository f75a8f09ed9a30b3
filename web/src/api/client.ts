/**
 * The LocalChat JSON API (`/api/*`, src/server/api-routes.ts) as the browser uses it: typed
 * `fetch` calls that throw an `ApiError` carrying the server's `{ error: { code, message } }`.
 * Every call is same-origin, so the access cookie (when the server needs one) goes with it.
 *
 * @example
 * const { data } = await api.conversations({ search: 'park' });
 * try { await api.saveProfile({ level: 'B1' }); } catch (error) { if (isStoreDown(error)) ... }
 */
import type { ConversationDetail, ConversationSummary } from '../../../src/store/conversations.js';
import type { Progress, SessionProgress } from '../../../src/store/progress.js';
import type { SessionReportRecord } from '../../../src/store/reports.js';
import type { VocabularyEntry } from '../../../src/store/vocabulary.js';
import type { LearnerProfile } from '../../../src/tutor/profile.js';
import type { SessionReport } from '../../../src/tutor/report.js';
import type { Scenario } from '../../../src/tutor/scenarios.js';
import type { Topic } from '../../../src/tutor/topics.js';
import type { WordExplanation } from '../../../src/tutor/vocabulary.js';

export type { ConversationDetail, ConversationSummary, LearnerProfile, Progress, Scenario, SessionProgress, SessionReport, Topic, VocabularyEntry, WordExplanation };

export type { PublicConfig } from '../../../src/server/public-config.js';
import type { PublicConfig } from '../../../src/server/public-config.js';

export type CefrLevel = 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2';
export const CEFR_LEVELS: readonly CefrLevel[] = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'];

/** `GET /api/store`: whether conversations are being saved. */
export type StoreStatus = { ok: true } | { ok: false; code?: string; message: string };

/** Profile fields to change (`PUT /api/profile`); `null` clears a text field. */
export interface ProfileUpdate {
  name?: string | null;
  level?: CefrLevel | 'auto';
  nativeLanguage?: string | null;
  goals?: string | null;
  correctionStyle?: LearnerProfile['correctionStyle'];
  speakingSpeed?: number | 'auto';
}

export interface NewWord {
  word: string;
  meaning?: string;
  meaningNative?: string | null;
  example?: string | null;
  conversationId?: string | null;
  turnId?: string | null;
}

/** A failed API call: the HTTP status and the server's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The database is down (or there is none): the conversation still works, nothing is saved. */
export function isStoreDown(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'store_unavailable' || (error.status === 503 && error.code.startsWith('store_')));
}

/** A message for the learner from any failure of an API call. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  if (error instanceof TypeError) return 'LocalChat could not be reached. Check that it is still running.';
  return error instanceof Error ? error.message : String(error);
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'LocalChat could not be reached. Check that it is still running.');
  }
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json') ? await response.json().catch(() => null) : null;
  // Aborted while the body was read (a newer request replaced this one): not an answer.
  if (init.signal?.aborted) throw new DOMException('The request was aborted.', 'AbortError');
  if (response.ok && type.includes('json') && body === null) throw new ApiError(response.status, 'invalid_response', 'LocalChat sent an answer that could not be read. Please try again.');
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const fallback = response.status === 404 ? 'Not found.' : `The request failed (HTTP ${response.status}).`;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? fallback);
  }
  return body as T;
}

function json(method: string, body: unknown, signal?: AbortSignal): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal };
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  storeStatus: (signal?: AbortSignal) => request<StoreStatus>('/api/store', { signal }),

  conversations: (options: { search?: string; limit?: number; offset?: number } = {}, signal?: AbortSignal) =>
    request<{ data: ConversationSummary[] }>(`/api/conversations${query(options)}`, { signal }),
  conversation: (id: string, signal?: AbortSignal) => request<ConversationDetail>(`/api/conversations/${encodeURIComponent(id)}`, { signal }),
  renameConversation: (id: string, title: string) => request<ConversationDetail>(`/api/conversations/${encodeURIComponent(id)}`, json('PATCH', { title })),
  deleteConversation: (id: string) => request<{ deleted: true }>(`/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** The saved report, or null when none was written yet. */
  async report(id: string, signal?: AbortSignal): Promise<SessionReportRecord<SessionReport> | null> {
    try {
      return await request<SessionReportRecord<SessionReport>>(`/api/conversations/${encodeURIComponent(id)}/report`, { signal });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  writeReport: (id: string, signal?: AbortSignal) => request<SessionReport>(`/api/conversations/${encodeURIComponent(id)}/report`, { method: 'POST', signal }),

  scenarios: (signal?: AbortSignal) => request<{ data: Scenario[] }>('/api/scenarios', { signal }),
  topics: (signal?: AbortSignal) => request<{ today: Topic; data: Topic[] }>('/api/topics', { signal }),

  profile: (signal?: AbortSignal) => request<LearnerProfile>('/api/profile', { signal }),
  saveProfile: (update: ProfileUpdate) => request<LearnerProfile>('/api/profile', json('PUT', update)),

  vocabulary: (search?: string, signal?: AbortSignal) => request<{ data: VocabularyEntry[] }>(`/api/vocabulary${query({ search, limit: 2000 })}`, { signal }),
  saveWord: (word: NewWord) => request<VocabularyEntry>('/api/vocabulary', json('POST', word)),
  explain: (word: string, sentence: string | undefined, signal?: AbortSignal) => request<WordExplanation>('/api/vocabulary/explain', json('POST', { word, sentence }, signal)),
  deleteWord: (id: number) => request<{ deleted: true }>(`/api/vocabulary/${id}`, { method: 'DELETE' }),
  dueWords: (signal?: AbortSignal) => request<{ data: VocabularyEntry[] }>('/api/vocabulary/review', { signal }),
  reviewWord: (id: number, grade: number) => request<VocabularyEntry>(`/api/vocabulary/${id}/review`, json('POST', { grade })),

  progress: (signal?: AbortSignal) => request<Progress>('/api/progress', { signal }),

  /** The server's configuration in effect, without secrets. */
  config: (signal?: AbortSignal) => request<PublicConfig>('/api/config', { signal }),

  importBackup: (file: Blob) =>
    request<{ imported: true; fromVersion: number; schemaVersion: number }>('/api/backup', {
      method: 'POST',
      body: file,
      headers: { 'content-type': 'application/octet-stream' },
    }),
};

/** Download links (plain `<a href download>`: the server names the file). */
export const downloads = {
  conversation: (id: string, format: 'md' | 'json') => `/api/conversations/${encodeURIComponent(id)}/export?format=${format}`,
  vocabularyCsv: '/api/vocabulary/export.csv',
  backup: '/api/backup',
};
