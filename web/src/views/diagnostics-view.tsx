/**
 * Diagnostics: is the microphone heard (a level meter; record a few seconds and play them back),
 * do the speakers play (a test tone at the tutor's volume), how fast the server answers (HTTP
 * round trips and the realtime connection), and each reply's timeline as a picture — learner
 * stopped speaking -> turn end decided -> transcript -> first token -> first clause -> first
 * audio -> playback — from the page's own timestamps and the server's
 * `localchat.response.metrics`. This is where a learner sees why a reply was slow.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ConnectionStatus } from '../realtime/client.js';
import { STAGES, timeline, type StageId, type TurnTimeline } from '../diagnostics/timeline.js';

/** Seconds recorded by the microphone test. */
const RECORD_SECONDS = 3;

interface DiagnosticsViewProps {
  connection: ConnectionStatus;
  /** The tutor's volume, 0-1 (the speaker test plays at it). */
  volume: number;
}

export default function DiagnosticsView({ connection, volume }: DiagnosticsViewProps) {
  return (
    <div className="page diagnostics">
      <div className="page__inner">
        <header className="page__header">
          <div>
            <h2 className="page__title">Diagnostics</h2>
            <p className="page__lead">Check your microphone, speakers and connection, and see where the time of each reply goes.</p>
          </div>
          <a className="button button--secondary button--small" href="#chat">
            Back to the chat
          </a>
        </header>
        <div className="diagnostics__tests">
          <MicrophoneTest />
          <SpeakerTest volume={volume} />
          <ConnectionTest connection={connection} />
        </div>
        <ReplyTimelines />
      </div>
    </div>
  );
}

type MicState =
  | { status: 'off' }
  | { status: 'starting' }
  | { status: 'on'; recording: boolean; clip: string | null }
  | { status: 'failed'; message: string };

function micError(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError') return 'The browser blocked the microphone: allow it for this page (the icon in the address bar), then try again.';
  if (name === 'NotFoundError') return 'No microphone was found. Plug one in, then try again.';
  if (name === 'NotReadableError') return 'The microphone is busy in another program.';
  if (!window.isSecureContext) return 'The microphone needs a secure page: open LocalChat at localhost, or over HTTPS (--tls).';
  return error instanceof Error ? error.message : String(error);
}

function MicrophoneTest() {
  const [state, setState] = useState<MicState>({ status: 'off' });
  const [level, setLevel] = useState(0);
  const stream = useRef<MediaStream | null>(null);
  const context = useRef<AudioContext | null>(null);
  const clipUrl = useRef<string | null>(null);

  const stop = useCallback(() => {
    for (const track of stream.current?.getTracks() ?? []) track.stop();
    stream.current = null;
    void context.current?.close().catch(() => undefined);
    context.current = null;
  }, []);

  useEffect(
    () => () => {
      stop();
      if (clipUrl.current) URL.revokeObjectURL(clipUrl.current);
    },
    [stop],
  );

  const start = async (): Promise<void> => {
    setState({ status: 'starting' });
    try {
      const media = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      stream.current = media;
      const audio = new AudioContext();
      context.current = audio;
      const analyser = audio.createAnalyser();
      analyser.fftSize = 1024;
      audio.createMediaStreamSource(media).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      const tick = (): void => {
        if (context.current !== audio) return;
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const sample of samples) sum += sample * sample;
        const rms = Math.sqrt(sum / samples.length);
        // dBFS from -60 (silence) to 0 (full scale), as 0-1.
        setLevel(Math.max(0, Math.min(1, (20 * Math.log10(rms + 1e-9) + 60) / 60)));
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      setState({ status: 'on', recording: false, clip: null });
    } catch (error) {
      stop();
      setState({ status: 'failed', message: micError(error) });
    }
  };

  const record = (): void => {
    const media = stream.current;
    if (!media || state.status !== 'on') return;
    const recorder = new MediaRecorder(media);
    const chunks: Blob[] = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    recorder.onstop = () => {
      if (clipUrl.current) URL.revokeObjectURL(clipUrl.current);
      clipUrl.current = URL.createObjectURL(new Blob(chunks, { type: recorder.mimeType }));
      setState((previous) => (previous.status === 'on' ? { status: 'on', recording: false, clip: clipUrl.current } : previous));
    };
    recorder.start();
    setState({ status: 'on', recording: true, clip: null });
    setTimeout(() => recorder.state !== 'inactive' && recorder.stop(), RECORD_SECONDS * 1000);
  };

  const percent = Math.round(level * 100);
  return (
    <section className="diag-card" aria-labelledby="diag-mic">
      <h3 id="diag-mic">Microphone</h3>
      {state.status === 'off' || state.status === 'failed' ? (
        <button type="button" className="button button--secondary" onClick={() => void start()}>
          Test the microphone
        </button>
      ) : null}
      {state.status === 'starting' ? <p role="status">Starting the microphone…</p> : null}
      {state.status === 'failed' ? (
        <p className="diag-card__problem" role="alert">
          {state.message}
        </p>
      ) : null}
      {state.status === 'on' ? (
        <>
          <div className="diag-meter" role="meter" aria-label="Microphone level" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
            <span className="diag-meter__fill" style={{ width: `${percent}%` }} />
          </div>
          <p className="diag-card__note">Speak: the bar should move with your voice.</p>
          <div className="diag-card__actions">
            <button type="button" className="button button--secondary" onClick={record} disabled={state.recording}>
              {state.recording ? `Recording ${RECORD_SECONDS} s…` : `Record ${RECORD_SECONDS} s`}
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                stop();
                setLevel(0);
                setState({ status: 'off' });
              }}
            >
              Stop
            </button>
          </div>
          {state.clip ? (
            <div className="diag-card__playback">
              <span>Play back:</span>
              <audio controls src={state.clip} aria-label="Your recording" />
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function SpeakerTest({ volume }: { volume: number }) {
  const [played, setPlayed] = useState<'idle' | 'playing' | 'done' | 'failed'>('idle');
  const play = async (): Promise<void> => {
    try {
      const audio = new AudioContext();
      await audio.resume();
      const gain = audio.createGain();
      gain.connect(audio.destination);
      // Two short notes (A4, E5) with soft edges, at the tutor's volume.
      const start = audio.currentTime + 0.05;
      for (const [index, frequency] of [440, 659.25].entries()) {
        const oscillator = audio.createOscillator();
        oscillator.frequency.value = frequency;
        const envelope = audio.createGain();
        const at = start + index * 0.45;
        envelope.gain.setValueAtTime(0, at);
        envelope.gain.linearRampToValueAtTime(0.3 * volume, at + 0.03);
        envelope.gain.setValueAtTime(0.3 * volume, at + 0.35);
        envelope.gain.linearRampToValueAtTime(0, at + 0.4);
        oscillator.connect(envelope).connect(gain);
        oscillator.start(at);
        oscillator.stop(at + 0.42);
      }
      setPlayed('playing');
      setTimeout(() => {
        setPlayed('done');
        void audio.close();
      }, 1000);
    } catch {
      setPlayed('failed');
    }
  };
  return (
    <section className="diag-card" aria-labelledby="diag-speakers">
      <h3 id="diag-speakers">Speakers</h3>
      <button type="button" className="button button--secondary" onClick={() => void play()} disabled={played === 'playing'}>
        Play a test sound
      </button>
      <p className="diag-card__note" role="status">
        {played === 'idle'
          ? `Two short notes at the tutor's volume (${Math.round(volume * 100)}%).`
          : played === 'playing'
            ? 'Playing…'
            : played === 'done'
              ? 'Played. Did you hear two notes? If not, check the volume here, in the browser tab and in your system.'
              : 'This browser could not play sound.'}
      </p>
    </section>
  );
}

interface Ping {
  ms: number[];
  health: string | null;
  version: string | null;
  error: string | null;
}

function ConnectionTest({ connection }: { connection: ConnectionStatus }) {
  const [ping, setPing] = useState<Ping | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    const result: Ping = { ms: [], health: null, version: null, error: null };
    try {
      for (let index = 0; index < 5; index++) {
        const started = performance.now();
        const response = await fetch('/health', { cache: 'no-store' });
        const body = (await response.json()) as { status?: string; version?: string };
        result.ms.push(performance.now() - started);
        result.health = body.status ?? null;
        result.version = body.version ?? null;
      }
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    }
    setPing(result);
    setBusy(false);
  };
  const sorted = ping ? [...ping.ms].sort((a, b) => a - b) : [];
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null;
  return (
    <section className="diag-card" aria-labelledby="diag-connection">
      <h3 id="diag-connection">Connection</h3>
      <p className="diag-card__note">
        Realtime connection: <strong data-testid="diag-realtime">{connection}</strong>
      </p>
      <button type="button" className="button button--secondary" onClick={() => void run()} disabled={busy}>
        {busy ? 'Testing…' : 'Test the connection'}
      </button>
      {ping ? (
        <p className="diag-card__note" role="status" data-testid="diag-ping">
          {ping.error
            ? `The server could not be reached: ${ping.error}`
            : `Server ${ping.health === 'ok' ? 'ready' : (ping.health ?? '?')} (LocalChat ${ping.version ?? '?'}) · round trip ${median!.toFixed(0)} ms (median of ${ping.ms.length})`}
        </p>
      ) : null}
    </section>
  );
}

function ReplyTimelines() {
  const turns = useSyncExternalStore(timeline.subscribe, timeline.getSnapshot);
  const shown = [...turns].reverse();
  return (
    <section className="diag-timelines" aria-labelledby="diag-timelines">
      <div className="diag-timelines__head">
        <h3 id="diag-timelines">Reply timelines</h3>
        {turns.length ? (
          <button type="button" className="button button--secondary button--small" onClick={() => timeline.clear()}>
            Clear
          </button>
        ) : null}
      </div>
      <StageLegend />
      {shown.length === 0 ? (
        <p className="diag-card__note">Talk or type to the tutor in the chat: each reply's timeline shows here, newest first.</p>
      ) : (
        <ol className="diag-timelines__list">
          {shown.map((turn) => (
            <li key={turn.id}>
              <TimelinePicture turn={turn} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function StageLegend() {
  return (
    <ul className="diag-legend" aria-label="Stages">
      {STAGES.map((stage, index) => (
        <li key={stage.id}>
          <span className={`diag-dot diag-dot--${index}`} aria-hidden="true" />
          {stage.label}
        </li>
      ))}
    </ul>
  );
}

const KIND_LABELS: Record<TurnTimeline['kind'], string> = { spoken: 'Spoken turn', typed: 'Typed turn', tutor: "Tutor's opening line" };

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** One turn: a time axis from its first stage, a marker per stage, the gaps between them as bars. */
export function TimelinePicture({ turn }: { turn: TurnTimeline }) {
  const seen = STAGES.map((stage, index) => ({ ...stage, index, at: turn.stages[stage.id as StageId] })).filter((stage): stage is (typeof STAGES)[number] & { index: number; at: number } => stage.at !== undefined);
  if (seen.length === 0) return null;
  const origin = Math.min(...seen.map((stage) => stage.at));
  const span = Math.max(1, Math.max(...seen.map((stage) => stage.at)) - origin);
  const position = (at: number) => `${((at - origin) / span) * 100}%`;
  const ordered = [...seen].sort((a, b) => a.at - b.at);
  const slowest = ordered.slice(1).reduce<{ from: string; to: string; ms: number } | null>((worst, stage, index) => {
    const ms = stage.at - ordered[index]!.at;
    return !worst || ms > worst.ms ? { from: ordered[index]!.label, to: stage.label, ms } : worst;
  }, null);
  return (
    <figure className="diag-timeline" data-testid="reply-timeline" data-stages={seen.map((stage) => stage.id).join(' ')}>
      <figcaption className="diag-timeline__caption">
        <strong>{KIND_LABELS[turn.kind]}</strong>
        {turn.outcome && turn.outcome !== 'completed' ? <span className="diag-timeline__outcome"> · {turn.outcome}</span> : null}
        <span> · {formatMs(span)} in all</span>
        {slowest && slowest.ms > 0 ? (
          <span className="diag-timeline__slowest">
            {' '}
            · longest step: {slowest.from} → {slowest.to}, {formatMs(slowest.ms)}
            {slowest.from === STAGES[0].label ? ' (the thinking time you set: a pause this long ends your turn)' : ''}
          </span>
        ) : null}
      </figcaption>
      <div className="diag-timeline__track" aria-hidden="true">
        <div className="diag-timeline__axis">
        {ordered.slice(1).map((stage, index) => {
          const previous = ordered[index]!;
          return (
            <span
              key={`bar-${stage.id}`}
              className={`diag-timeline__bar diag-bar--${stage.index}`}
              style={{ left: position(previous.at), width: `${((stage.at - previous.at) / span) * 100}%` }}
            />
          );
        })}
        {seen.map((stage) => (
          <span key={stage.id} className={`diag-timeline__mark diag-dot diag-dot--${stage.index}`} style={{ left: position(stage.at) }} title={`${stage.label}: +${formatMs(stage.at - origin)}`} />
        ))}
        </div>
      </div>
      <ol className="diag-timeline__stages">
        {STAGES.map((stage, index) => {
          const at = turn.stages[stage.id];
          return (
            <li key={stage.id} className={at === undefined ? 'diag-timeline__stage diag-timeline__stage--missing' : 'diag-timeline__stage'} data-stage={stage.id}>
              <span className={`diag-dot diag-dot--${index}`} aria-hidden="true" />
              <span className="diag-timeline__name">{stage.label}</span>
              <span className="diag-timeline__time">{at === undefined ? '–' : `+${formatMs(at - origin)}`}</span>
            </li>
          );
        })}
      </ol>
      {turn.server ? (
        <p className="diag-timeline__server">
          Server, from the end of your turn: {turn.server.transcribeMs !== undefined ? <>speech recognition {formatMs(turn.server.transcribeMs)} · </> : null}first token{' '}
          {turn.server.ttftMs === null ? '–' : formatMs(turn.server.ttftMs)} ·{' '}
          {turn.server.firstChunkMs != null ? <>first clause to the voice {formatMs(turn.server.firstChunkMs)} · </> : null}first audio{' '}
          {turn.server.ttfaMs === null ? '–' : formatMs(turn.server.ttfaMs)} · whole reply {formatMs(turn.server.totalMs)}
        </p>
      ) : null}
    </figure>
  );
}
