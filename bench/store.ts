/**
 * Database benchmark (issue 4: "time to save a turn (p99 < 5 ms) and to open a 1,000-turn
 * conversation"). In a temporary directory (`--dir` to choose the disk; the file system is in the
 * result, since fsync costs differ widely):
 *
 *   1. A history is made first: `--history` conversations of 100 turns (default 200: 20,000
 *      turns), so indexes and the full-text index have a realistic size.
 *   2. Saving a turn: `appendTurn` of tutor-sized turns (user ~60 characters, assistant ~250),
 *      timed one by one, alternating between two databases, one with `synchronous = NORMAL`
 *      (the default) and one with `FULL`, so drift hits both alike. Also `updateTurn` (the
 *      truncation after a barge-in) and `saveCorrection`.
 *   3. Opening a 1,000-turn conversation: `getConversation` (turns + corrections), the first
 *      read after opening the database (cold statement cache) and the median of 20 reads.
 *   4. Opening the database (header checks + `PRAGMA quick_check`), listing 50 conversations,
 *      a full-text search, `progress()`, and an online backup.
 *
 * Run: npx tsx bench/store.ts [--turns N] [--history N] [--dir PATH] [--json]
 * From bench/run.ts: `const result = await benchStore({ turns, history, dir })`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Store } from '../src/store/store.js';
import { formatMs, median, quantile, round } from './stats.js';

/** Sub-millisecond figures need more digits than formatMs gives. */
function ms(value: number): string {
  return value < 10 ? `${value.toFixed(value < 1 ? 3 : 2)} ms` : formatMs(value);
}

export interface StoreBenchOptions {
  /** Turns saved per durability setting (default 2000). */
  turns?: number;
  /** Conversations of 100 turns made before measuring (default 200). */
  history?: number;
  /** Parent of the temporary directory (default the OS temp directory). */
  dir?: string;
}

export interface StoreBenchResult {
  /** Mount point and type of the file system the databases were on, e.g. "/ (ext4)". */
  file_system: string;
  history_turns: number;
  turns_measured: number;
  /** appendTurn, WAL + synchronous = NORMAL (the default), ms. */
  save_turn_p50_ms: number;
  save_turn_p99_ms: number;
  save_turn_max_ms: number;
  /** appendTurn, WAL + synchronous = FULL (an fsync per commit), ms. */
  save_turn_full_p50_ms: number;
  save_turn_full_p99_ms: number;
  save_turn_full_max_ms: number;
  /** updateTurn (text + interrupted), NORMAL, ms. */
  update_turn_p50_ms: number;
  update_turn_p99_ms: number;
  /** saveCorrection with two errors, NORMAL, ms. */
  save_correction_p50_ms: number;
  save_correction_p99_ms: number;
  /** getConversation of a 1,000-turn conversation (with 500 corrections), first read after opening, ms. */
  open_1000_turn_conversation_cold_ms: number;
  /** The same, median of 20 reads, ms. */
  open_1000_turn_conversation_ms: number;
  /** Store.open of the whole database (checks, quick_check), ms. */
  open_database_ms: number;
  database_mb: number;
  /** listConversations({ limit: 50 }), median of 20, ms. */
  list_conversations_ms: number;
  /** listConversations({ search: two words }), median of 20, ms. */
  search_ms: number;
  /** progress() over every conversation, median of 5, ms. */
  progress_ms: number;
  /** backup() of the whole database, ms. */
  backup_ms: number;
}

const USER_LINES = [
  'Yesterday I goed to the market and buyed some apples.',
  'Can you tell me how to get to the train station, please?',
  'I would like to book a table for two people at eight.',
  'In my country we usually eat dinner very late in the evening.',
];
const ASSISTANT_LINE = 'That sounds lovely! You went to the market and bought some apples — what kind did you get? '
  + 'Markets are a great place to practise English, because you can ask about prices, quantities and where things come from. '
  + 'What else did you see there?';

const correctionErrors = [
  { start: 12, end: 16, category: 'tense', original: 'goed', correction: 'went', rule: 'The past of "go" is "went".', example: 'We went home.' },
  { start: 35, end: 41, category: 'tense', original: 'buyed', correction: 'bought', rule: 'The past of "buy" is "bought".', example: 'She bought bread.' },
];

/** Runs the benchmark; every figure in ms unless named otherwise. */
export async function benchStore(options: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const turns = options.turns ?? 2000;
  const history = options.history ?? 200;
  const root = mkdtempSync(join(resolve(options.dir ?? tmpdir()), 'localchat-bench-store-'));
  try {
    const normalPath = join(root, 'normal.db');
    const fullPath = join(root, 'full.db');
    const normal = Store.open({ path: normalPath, synchronous: 'NORMAL' });
    const full = Store.open({ path: fullPath, synchronous: 'FULL' });
    for (const store of [normal, full]) makeHistory(store, history);

    // 2. Saving turns, alternating between the two settings.
    normal.createConversation({ id: 'measured' });
    full.createConversation({ id: 'measured' });
    const save: number[] = [];
    const saveFull: number[] = [];
    const update: number[] = [];
    const correction: number[] = [];
    for (let i = 0; i < turns; i++) {
      const role = i % 2 === 0 ? 'user' : 'assistant';
      const text = role === 'user' ? USER_LINES[(i / 2) % USER_LINES.length | 0]! : ASSISTANT_LINE;
      const turn = { conversationId: 'measured', id: `item_${i}`, role, text, source: 'spoken', speechMs: 3000, ttftMs: 200, ttfaMs: 450, totalMs: 4000 } as const;
      for (const [store, samples] of (i % 2 === 0 ? [[normal, save], [full, saveFull]] : [[full, saveFull], [normal, save]]) as [Store, number[]][]) {
        const start = performance.now();
        store.appendTurn(turn);
        samples.push(performance.now() - start);
      }
      if (role === 'user') {
        const start = performance.now();
        normal.saveCorrection({ conversationId: 'measured', turnId: turn.id, original: text, corrected: text, errors: correctionErrors });
        correction.push(performance.now() - start);
      } else if (i % 10 === 1) {
        const start = performance.now();
        normal.updateTurn('measured', turn.id, { text: ASSISTANT_LINE.slice(0, 80), interrupted: true });
        update.push(performance.now() - start);
      }
    }
    full.close();

    // 3. A 1,000-turn conversation, read back.
    normal.createConversation({ id: 'long' });
    normal.database.transaction(() => {
      for (let i = 0; i < 1000; i++) {
        const role = i % 2 === 0 ? 'user' : 'assistant';
        normal.appendTurn({ conversationId: 'long', id: `item_${i}`, role, text: role === 'user' ? USER_LINES[i % 4]! : ASSISTANT_LINE, source: 'spoken', speechMs: 2500 });
        if (role === 'user') normal.saveCorrection({ conversationId: 'long', turnId: `item_${i}`, original: USER_LINES[i % 4]!, corrected: USER_LINES[i % 4]!, errors: correctionErrors });
      }
    })();
    normal.close();

    // 4. Opening the database, then reads.
    let start = performance.now();
    const store = Store.open({ path: normalPath });
    const openDatabaseMs = performance.now() - start;
    start = performance.now();
    const long = store.getConversation('long');
    const coldMs = performance.now() - start;
    if (long?.turns.length !== 1000) throw new Error('the 1,000-turn conversation did not read back whole');
    const warm = timeRepeated(20, () => store.getConversation('long'));
    const list = timeRepeated(20, () => store.listConversations({ limit: 50 }));
    const search = timeRepeated(20, () => store.listConversations({ search: 'train station' }));
    const progress = timeRepeated(5, () => store.progress());
    start = performance.now();
    await store.backup(join(root, 'backup.db'));
    const backupMs = performance.now() - start;
    const databaseBytes = statSync(normalPath).size + fileSize(`${normalPath}-wal`);
    store.close();

    return {
      file_system: fileSystemOf(root),
      history_turns: history * 100,
      turns_measured: turns,
      save_turn_p50_ms: round(median(save), 3),
      save_turn_p99_ms: round(quantile(save, 0.99), 3),
      save_turn_max_ms: round(Math.max(...save), 3),
      save_turn_full_p50_ms: round(median(saveFull), 3),
      save_turn_full_p99_ms: round(quantile(saveFull, 0.99), 3),
      save_turn_full_max_ms: round(Math.max(...saveFull), 3),
      update_turn_p50_ms: round(median(update), 3),
      update_turn_p99_ms: round(quantile(update, 0.99), 3),
      save_correction_p50_ms: round(median(correction), 3),
      save_correction_p99_ms: round(quantile(correction, 0.99), 3),
      open_1000_turn_conversation_cold_ms: round(coldMs, 2),
      open_1000_turn_conversation_ms: round(median(warm), 2),
      open_database_ms: round(openDatabaseMs, 2),
      database_mb: round(databaseBytes / 1024 / 1024, 1),
      list_conversations_ms: round(median(list), 2),
      search_ms: round(median(search), 2),
      progress_ms: round(median(progress), 2),
      backup_ms: round(backupMs, 1),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `count` conversations of 100 turns each, with corrections on learner turns, in one transaction. */
function makeHistory(store: Store, count: number): void {
  const day = 24 * 60 * 60 * 1000;
  const start = Date.now() - count * day;
  store.database.transaction(() => {
    for (let c = 0; c < count; c++) {
      const id = `history_${c}`;
      store.createConversation({ id, title: `Practice session ${c}`, createdAt: start + c * day });
      for (let i = 0; i < 100; i++) {
        const role = i % 2 === 0 ? 'user' : 'assistant';
        const text = role === 'user' ? `${USER_LINES[(c + i) % 4]!} (${c}.${i})` : ASSISTANT_LINE;
        store.appendTurn({ conversationId: id, id: `item_${i}`, role, text, source: 'spoken', speechMs: 2500, createdAt: start + c * day + i * 10_000 });
        if (role === 'user') store.saveCorrection({ conversationId: id, turnId: `item_${i}`, original: text, corrected: text, errors: correctionErrors.slice(0, i % 3) });
      }
    }
  })();
}

function timeRepeated(times: number, action: () => unknown): number[] {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    action();
    samples.push(performance.now() - start);
  }
  return samples;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The longest mount point in /proc/mounts that holds `path`, with its type; "unknown" elsewhere. */
function fileSystemOf(path: string): string {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')).filter((fields) => fields.length > 2);
    let best: string[] | undefined;
    for (const fields of mounts) {
      const mount = fields[1]!;
      if ((path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) && mount.length >= (best?.[1]?.length ?? 0)) best = fields;
    }
    return best ? `${best[1]} (${best[2]})` : 'unknown';
  } catch {
    return 'unknown';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { turns: { type: 'string' }, history: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const result = await benchStore({
    turns: values.turns ? Number(values.turns) : undefined,
    history: values.history ? Number(values.history) : undefined,
    dir: values.dir,
  });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`LocalChat store bench — ${result.file_system}, ${result.history_turns} turns of history, ${result.turns_measured} turns measured per setting, database ${result.database_mb} MB`);
    const rows: [string, number, string][] = [
      ['save a turn, p50 (NORMAL)', result.save_turn_p50_ms, ''],
      ['save a turn, p99 (NORMAL)', result.save_turn_p99_ms, 'target < 5 ms'],
      ['save a turn, max (NORMAL)', result.save_turn_max_ms, ''],
      ['save a turn, p50 (FULL)', result.save_turn_full_p50_ms, ''],
      ['save a turn, p99 (FULL)', result.save_turn_full_p99_ms, 'target < 5 ms'],
      ['save a turn, max (FULL)', result.save_turn_full_max_ms, ''],
      ['update a turn, p50 / p99', result.update_turn_p50_ms, `p99 ${ms(result.update_turn_p99_ms)}`],
      ['save a correction, p50 / p99', result.save_correction_p50_ms, `p99 ${ms(result.save_correction_p99_ms)}`],
      ['open a 1,000-turn conversation (cold)', result.open_1000_turn_conversation_cold_ms, ''],
      ['open a 1,000-turn conversation (p50)', result.open_1000_turn_conversation_ms, ''],
      ['open the database (with quick_check)', result.open_database_ms, ''],
      ['list 50 conversations', result.list_conversations_ms, ''],
      ['full-text search', result.search_ms, ''],
      ['progress()', result.progress_ms, ''],
      ['backup', result.backup_ms, ''],
    ];
    for (const [name, value, note] of rows) console.log(`  ${name.padEnd(40)} ${ms(value).padStart(10)}  ${note}`);
  }
}
