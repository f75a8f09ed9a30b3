/**
 * The vocabulary as a CSV file Anki imports (File > Import; https://docs.ankiweb.net/importing/text-files.html):
 * one note a line, fields `word, meaning, example, meaning in the learner's language`. With the
 * "Basic" note type the first two become Front and Back; the others can be mapped or ignored.
 * No header line: Anki would import it as a note.
 */
import { type CsvSeparator, toCsv } from './csv.js';
import type { VocabularyEntry } from './vocabulary.js';

/** `entries` as CSV text (RFC 4180, CRLF line ends), one line per word, no header. */
export function vocabularyCsv(entries: readonly VocabularyEntry[], separator: CsvSeparator = ','): string {
  return toCsv(entries.map((entry) => [entry.word, entry.meaning, entry.example ?? '', entry.meaningNative ?? '']), separator);
}
