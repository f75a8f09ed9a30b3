/**
 * `useTutor`: what the tutor API knows beyond the live session — whether it is there at all (a
 * server without a tutor answers 404, and the UI then shows only the chat), whether the database
 * works, the learner profile, the scenario library and the topics, and the saved conversations
 * (searched, refreshed after every change).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText, isStoreDown, type ConversationSummary, type LearnerProfile, type ProfileUpdate, type Scenario, type StoreStatus, type Topic } from '../api/client.js';

/** `unknown`: not asked yet; `absent`: this server has no tutor API. */
export type TutorAvailability = 'unknown' | 'available' | 'absent';

export interface ConversationList {
  items: ConversationSummary[];
  loading: boolean;
  /** Why the list could not be loaded (the database is down, ...). */
  error: string | null;
  search: string;
}

export interface Tutor {
  availability: TutorAvailability;
  store: StoreStatus | null;
  profile: LearnerProfile | null;
  scenarios: Scenario[];
  topics: { today: Topic; data: Topic[] } | null;
  conversations: ConversationList;
  setSearch(search: string): void;
  /** Loads the list again (soon: several calls in a row load once). */
  refreshConversations(): void;
  refreshStore(): void;
  refreshProfile(): void;
  saveProfile(update: ProfileUpdate): Promise<LearnerProfile>;
}

/** Pause after the last keystroke before a search runs, ms. */
const SEARCH_DEBOUNCE_MS = 220;
/** Refreshes asked for within this time are merged, ms. */
const REFRESH_DEBOUNCE_MS = 300;

/**
 * @param enabled the server runs the tutor (state.ts `serverTutor`): until then nothing is asked,
 *   and with `false` the page stays a plain chat
 */
export function useTutor(enabled: boolean | null): Tutor {
  const [availability, setAvailability] = useState<TutorAvailability>('unknown');
  const [store, setStore] = useState<StoreStatus | null>(null);
  const [profile, setProfile] = useState<LearnerProfile | null>(null);
  const [scenarios, setScenarios] = useState<Scenario[]>([]);
  const [topics, setTopics] = useState<Tutor['topics']>(null);
  const [conversations, setConversations] = useState<ConversationList>({ items: [], loading: true, error: null, search: '' });
  const search = useRef('');
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const listRequest = useRef<AbortController | null>(null);

  const loadList = useCallback(() => {
    listRequest.current?.abort();
    const controller = new AbortController();
    listRequest.current = controller;
    setConversations((previous) => ({ ...previous, loading: true }));
    api.conversations({ search: search.current.trim() || undefined, limit: 100 }, controller.signal).then(
      ({ data }) => {
        if (controller.signal.aborted) return;
        setConversations({ items: data, loading: false, error: null, search: search.current });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setConversations((previous) => ({ ...previous, loading: false, error: errorText(error) }));
        if (isStoreDown(error)) setStore({ ok: false, message: errorText(error) });
      },
    );
  }, []);

  const refreshConversations = useCallback(() => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(loadList, REFRESH_DEBOUNCE_MS);
  }, [loadList]);

  const refreshStore = useCallback(() => {
    api.storeStatus().then(setStore, () => undefined);
  }, []);

  useEffect(() => {
    if (enabled === false) setAvailability('absent');
    if (!enabled) return;
    const controller = new AbortController();
    const { signal } = controller;
    api.storeStatus(signal).then(
      (status) => {
        setAvailability('available');
        setStore(status);
        loadList();
        api.profile(signal).then(setProfile, () => undefined);
        api.scenarios(signal).then(({ data }) => setScenarios(data), () => undefined);
        api.topics(signal).then(setTopics, () => undefined);
      },
      () => {
        if (!signal.aborted) setAvailability('absent');
      },
    );
    return () => controller.abort();
  }, [enabled, loadList]);

  useEffect(() => () => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    listRequest.current?.abort();
  }, []);

  const setSearch = useCallback(
    (value: string) => {
      search.current = value;
      setConversations((previous) => ({ ...previous, search: value }));
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(loadList, SEARCH_DEBOUNCE_MS);
    },
    [loadList],
  );

  const refreshProfile = useCallback(() => {
    api.profile().then(setProfile, () => undefined);
  }, []);

  const saveProfile = useCallback(async (update: ProfileUpdate) => {
    const saved = await api.saveProfile(update);
    setProfile(saved);
    return saved;
  }, []);

  return { availability, store, profile, scenarios, topics, conversations, setSearch, refreshConversations, refreshStore, refreshProfile, saveProfile };
}
