/** Helpers for the store tests: temporary data directories and an RFC 4180 CSV reader. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory; `remove()` deletes it. */
export function tempDir(prefix = 'localchat-store-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Parses CSV per RFC 4180 §2 (quoted fields may hold separators, CRLF and doubled quotes), written
 * independently of src/store/csv.ts so that the round trip tests something.
 * @throws Error on a quote inside an unquoted field or an unterminated quoted field
 */
export function parseCsv(text: string, separator = ','): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') {
      if (!fieldStart) throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true; fieldStart = false; i++; continue;
    }
    if (c === separator) { record.push(field); field = ''; fieldStart = true; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; fieldStart = true; i += 2; continue; }
    if (c === '\n' || c === '\r') throw new Error(`bare line break at ${i}: records end with CRLF`);
    field += c; fieldStart = false; i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (!fieldStart || field !== '' || record.length > 0) { record.push(field); records.push(record); }
  return records;
}
