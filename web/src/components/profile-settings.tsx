/**
 * Settings sections backed by the tutor API: the learner profile (name, CEFR level or "estimate
 * for me", native language, goals, correction style; saved with PUT /api/profile, used from the
 * next new chat), and the learner's data (a backup of the whole database, and importing one).
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, CEFR_LEVELS, downloads, errorText, type CefrLevel, type LearnerProfile, type ProfileUpdate } from '../api/client.js';
import { ConfirmDialog } from './dialog.js';
import { CheckIcon, DownloadIcon, UploadIcon, WarningIcon } from './icons.js';

export const LEVEL_NAMES: Record<CefrLevel, string> = {
  A1: 'Beginner',
  A2: 'Elementary',
  B1: 'Intermediate',
  B2: 'Upper intermediate',
  C1: 'Advanced',
  C2: 'Proficient',
};

const LANGUAGES = ['Arabic', 'Chinese', 'Dutch', 'French', 'German', 'Hindi', 'Italian', 'Japanese', 'Korean', 'Polish', 'Portuguese', 'Russian', 'Spanish', 'Turkish', 'Ukrainian', 'Vietnamese'];

const STYLES: { value: LearnerProfile['correctionStyle']; label: string; help: string }[] = [
  { value: 'off', label: 'Off', help: 'The tutor never corrects you, and no correction cards are made.' },
  { value: 'recast', label: 'Gentle', help: 'The tutor says your sentence the right way in its reply, without stopping the conversation. Cards show the details.' },
  { value: 'explicit', label: 'Explicit', help: 'The tutor names each mistake and the right form briefly, then goes on.' },
];

interface Draft {
  name: string;
  level: CefrLevel | 'auto';
  nativeLanguage: string;
  goals: string;
  correctionStyle: LearnerProfile['correctionStyle'];
}

function draftOf(profile: LearnerProfile): Draft {
  return {
    name: profile.name ?? '',
    level: profile.level,
    nativeLanguage: profile.nativeLanguage ?? '',
    goals: profile.goals ?? '',
    correctionStyle: profile.correctionStyle,
  };
}

interface ProfileSectionProps {
  profile: LearnerProfile;
  onSave(update: ProfileUpdate): Promise<LearnerProfile>;
}

export function ProfileSection({ profile, onSave }: ProfileSectionProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(profile));
  const [status, setStatus] = useState<{ kind: 'idle' | 'saving' | 'saved' } | { kind: 'failed'; message: string }>({ kind: 'idle' });
  const languagesId = useId();
  const saved = draftOf(profile);
  const dirty = (Object.keys(draft) as (keyof Draft)[]).some((key) => draft[key] !== saved[key]);
  const style = STYLES.find((entry) => entry.value === draft.correctionStyle);

  const change = <K extends keyof Draft>(key: K, value: Draft[K]): void => {
    setDraft((previous) => ({ ...previous, [key]: value }));
    setStatus({ kind: 'idle' });
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setStatus({ kind: 'saving' });
    try {
      const next = await onSave({
        name: draft.name.trim() || null,
        level: draft.level,
        nativeLanguage: draft.nativeLanguage.trim() || null,
        goals: draft.goals.trim() || null,
        correctionStyle: draft.correctionStyle,
      });
      setDraft(draftOf(next));
      setStatus({ kind: 'saved' });
    } catch (error) {
      setStatus({ kind: 'failed', message: errorText(error) });
    }
  };

  return (
    <form className="profile-form" onSubmit={(event) => void submit(event)} aria-label="Your profile">
      <div className="field">
        <label htmlFor="profile-name">Your name</label>
        <input id="profile-name" className="input" value={draft.name} maxLength={40} autoComplete="given-name" placeholder="Optional" onChange={(event) => change('name', event.target.value)} />
      </div>

      <div className="field">
        <label htmlFor="profile-level">Your level</label>
        <select id="profile-level" value={draft.level} onChange={(event) => change('level', event.target.value as Draft['level'])}>
          <option value="auto">Estimate it for me{profile.estimatedLevel ? ` (now ${profile.estimatedLevel})` : ''}</option>
          {CEFR_LEVELS.map((level) => (
            <option key={level} value={level}>
              {level} · {LEVEL_NAMES[level]}
            </option>
          ))}
        </select>
        <p className="field__help">
          {draft.level === 'auto'
            ? profile.estimatedLevel
              ? `From your last session report, your level looks like ${profile.estimatedLevel} (${LEVEL_NAMES[profile.estimatedLevel]}). The tutor speaks at that level.`
              : 'Each session report estimates your level; until the first one, the tutor keeps its English simple.'
            : 'The level sets the tutor’s words, sentence length, voice speed and how much it helps.'}
        </p>
      </div>

      <div className="field">
        <label htmlFor="profile-language">Your first language</label>
        <input
          id="profile-language"
          className="input"
          value={draft.nativeLanguage}
          maxLength={40}
          list={languagesId}
          placeholder="e.g. Spanish"
          onChange={(event) => change('nativeLanguage', event.target.value)}
        />
        <datalist id={languagesId}>
          {LANGUAGES.map((language) => (
            <option key={language} value={language} />
          ))}
        </datalist>
        <p className="field__help">Word look-ups also give the meaning in this language.</p>
      </div>

      <div className="field">
        <label htmlFor="profile-goals">Your goals</label>
        <textarea
          id="profile-goals"
          className="input"
          rows={2}
          maxLength={200}
          value={draft.goals}
          placeholder="e.g. job interviews, travel, small talk at work"
          onChange={(event) => change('goals', event.target.value)}
        />
      </div>

      <fieldset className="field">
        <legend>Corrections</legend>
        <div className="segmented">
          {STYLES.map((option) => (
            <label key={option.value} className={draft.correctionStyle === option.value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
              <input
                type="radio"
                name="correction-style"
                value={option.value}
                checked={draft.correctionStyle === option.value}
                onChange={() => change('correctionStyle', option.value)}
              />
              {option.label}
            </label>
          ))}
        </div>
        <p className="field__help">{style?.help}</p>
      </fieldset>

      <div className="profile-form__save">
        <button type="submit" className="button button--primary" disabled={!dirty || status.kind === 'saving'}>
          {status.kind === 'saving' ? <span className="spinner spinner--small spinner--on-accent" aria-hidden="true" /> : null}
          Save profile
        </button>
        <span className="profile-form__status" role="status">
          {status.kind === 'saved' ? (
            <>
              <CheckIcon width="16" height="16" /> Saved. It applies from your next new chat.
            </>
          ) : status.kind === 'failed' ? (
            <span className="profile-form__error">
              <WarningIcon width="16" height="16" /> {status.message}
            </span>
          ) : dirty ? (
            'Changes apply from your next new chat.'
          ) : null}
        </span>
      </div>
    </form>
  );
}

interface DataSectionProps {
  storeOk: boolean;
  onImported(): void;
  toast(message: string, level?: 'info' | 'error'): void;
}

export function DataSection({ storeOk, onImported, toast }: DataSectionProps) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!file && input.current) input.current.value = '';
  }, [file]);

  const importFile = async (): Promise<void> => {
    if (!file) return;
    setBusy(true);
    try {
      await api.importBackup(file);
      toast('The backup was imported: your conversations, words and progress are back.');
      onImported();
    } catch (error) {
      toast(`The backup was not imported: ${errorText(error)}`, 'error');
    } finally {
      setBusy(false);
      setFile(null);
    }
  };

  return (
    <div className="field">
      <span className="field__label">Backup</span>
      <div className="button-row">
        <a className={`button button--secondary${storeOk ? '' : ' button--disabled'}`} href={storeOk ? downloads.backup : undefined} download aria-disabled={!storeOk || undefined}>
          <DownloadIcon width="18" height="18" />
          Download
        </a>
        <button type="button" className="button button--secondary" onClick={() => input.current?.click()} disabled={!storeOk}>
          <UploadIcon width="18" height="18" />
          Import…
        </button>
        <input
          ref={input}
          type="file"
          accept=".db,.sqlite,.sqlite3,application/vnd.sqlite3,application/octet-stream"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
      </div>
      <p className="field__help">Everything LocalChat keeps — conversations, corrections, words, reports and your profile — in one file.</p>
      {file ? (
        <ConfirmDialog
          title="Import this backup?"
          message={
            <>
              “{file.name}” replaces all your conversations, words and progress. What you have now is kept on this computer as a copy, but no longer
              shown.
            </>
          }
          confirmLabel="Import"
          busy={busy}
          onConfirm={() => void importFile()}
          onCancel={() => setFile(null)}
        />
      ) : null}
    </div>
  );
}
