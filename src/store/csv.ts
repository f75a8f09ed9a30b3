/**
 * Writing CSV per RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): records end with CRLF; a
 * field holding the separator, a double quote, CR or LF (or leading/trailing spaces, which some
 * readers trim) is enclosed in double quotes, and its double quotes are doubled.
 */

export type CsvValue = string | number | null | undefined;

/** `,` (RFC 4180), or `;` / tab, which Anki and spreadsheets also accept when chosen on import. */
export type CsvSeparator = ',' | ';' | '\t';

/** One field, quoted when needed. null and undefined are empty fields. */
export function csvField(value: CsvValue, separator: CsvSeparator = ','): string {
  const text = value === null || value === undefined ? '' : String(value);
  const needsQuotes = text.includes(separator) || /["\r\n]/.test(text) || text !== text.trim();
  return needsQuotes ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows to CSV text, each record ending with CRLF.
 * @example toCsv([['word', 'meaning'], ['"hi"', 'a, greeting']]) // 'word,meaning\r\n"""hi""","a, greeting"\r\n'
 */
export function toCsv(rows: readonly (readonly CsvValue[])[], separator: CsvSeparator = ','): string {
  return rows.map((row) => `${row.map((value) => csvField(value, separator)).join(separator)}\r\n`).join('');
}
