/**
 * `useSpeechRecognition`: the browser's Web Speech API (`SpeechRecognition`, prefixed
 * `webkitSpeechRecognition` in Chrome and Safari) for spoken input, one utterance at a time.
 * Interim text streams through `onInterim`, the final text through `onFinal`.
 *
 * In Chrome this recognition runs on Google's servers (audio leaves the machine); the UI says so.
 * Spec: https://webaudio.github.io/web-speech-api/#speechreco-section
 */
import { useCallback, useEffect, useRef, useState } from 'react';

/* The Web Speech API is not in TypeScript's DOM lib: the parts used here. */
interface SpeechRecognitionAlternativeLike {
  transcript: string;
}
interface SpeechRecognitionResultLike {
  readonly isFinal: boolean;
  readonly length: number;
  [index: number]: SpeechRecognitionAlternativeLike;
}
interface SpeechRecognitionEventLike extends Event {
  readonly resultIndex: number;
  readonly results: { readonly length: number; [index: number]: SpeechRecognitionResultLike };
}
interface SpeechRecognitionErrorEventLike extends Event {
  readonly error: string;
}
interface SpeechRecognitionLike extends EventTarget {
  lang: string;
  continuous: boolean;
  interimResults: boolean;
  maxAlternatives: number;
  onresult: ((event: SpeechRecognitionEventLike) => void) | null;
  onerror: ((event: SpeechRecognitionErrorEventLike) => void) | null;
  onend: (() => void) | null;
  start(): void;
  stop(): void;
  abort(): void;
}
type SpeechRecognitionConstructor = new () => SpeechRecognitionLike;

function recognitionClass(): SpeechRecognitionConstructor | undefined {
  if (typeof window === 'undefined') return undefined;
  const scope = window as unknown as { SpeechRecognition?: SpeechRecognitionConstructor; webkitSpeechRecognition?: SpeechRecognitionConstructor };
  return scope.SpeechRecognition ?? scope.webkitSpeechRecognition;
}

/** True where the browser has the Web Speech API's recognition. */
export function isSpeechRecognitionSupported(): boolean {
  return recognitionClass() !== undefined;
}

export interface SpeechRecognitionOptions {
  /** BCP 47 language, e.g. `en-US`. */
  lang: string;
  onInterim(text: string): void;
  onFinal(text: string): void;
  onError(message: string): void;
}

export interface SpeechRecognitionControls {
  supported: boolean;
  listening: boolean;
  start(): void;
  stop(): void;
}

/** Human words for the API's error codes (`no-speech` and `aborted` are not errors to show). */
function errorMessage(code: string): string | null {
  switch (code) {
    case 'no-speech':
    case 'aborted':
      return null;
    case 'not-allowed':
    case 'service-not-allowed':
      return 'Microphone access was refused. Allow it in the browser to speak to the tutor.';
    case 'audio-capture':
      return 'No microphone was found.';
    case 'network':
      return "Speech recognition needs the internet in this browser (it runs on Google's servers). You can type instead.";
    case 'language-not-supported':
      return 'This browser cannot recognise English speech.';
    default:
      return `Speech recognition stopped (${code}).`;
  }
}

export function useSpeechRecognition(options: SpeechRecognitionOptions): SpeechRecognitionControls {
  const [supported] = useState(isSpeechRecognitionSupported);
  const [listening, setListening] = useState(false);
  const recognition = useRef<SpeechRecognitionLike | null>(null);
  const latest = useRef(options);
  latest.current = options;

  const stop = useCallback(() => recognition.current?.stop(), []);

  const start = useCallback(() => {
    const Recognition = recognitionClass();
    if (!Recognition || recognition.current) return;
    const instance = new Recognition();
    instance.lang = latest.current.lang;
    instance.continuous = false;
    instance.interimResults = true;
    instance.maxAlternatives = 1;
    let finalText = '';
    instance.onresult = (event) => {
      let interim = '';
      for (let index = event.resultIndex; index < event.results.length; index++) {
        const result = event.results[index];
        const transcript = result?.[0]?.transcript ?? '';
        if (result?.isFinal) finalText += transcript;
        else interim += transcript;
      }
      latest.current.onInterim((finalText + interim).trim());
    };
    instance.onerror = (event) => {
      const message = errorMessage(event.error);
      if (message) latest.current.onError(message);
    };
    instance.onend = () => {
      recognition.current = null;
      setListening(false);
      const text = finalText.trim();
      if (text) latest.current.onFinal(text);
      else latest.current.onInterim('');
    };
    recognition.current = instance;
    try {
      instance.start();
      setListening(true);
    } catch {
      recognition.current = null;
      latest.current.onError('Speech recognition could not start.');
    }
  }, []);

  useEffect(
    () => () => {
      const instance = recognition.current;
      if (!instance) return;
      instance.onresult = null;
      instance.onend = null;
      instance.onerror = null;
      instance.abort();
    },
    [],
  );

  return { supported, listening, start, stop };
}
