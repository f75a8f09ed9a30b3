/**
 * The terminal log of `localchat serve`: one short line per event, whether stdout is a terminal
 * or a file/pipe (no raw JSON), and each problem once.
 *
 * - Format: pino-pretty (https://github.com/pinojs/pino-pretty) as an in-process stream, with
 *   `singleLine` and the error's message (not its stack) appended to the line. Colours only on a
 *   TTY (and not with NO_COLOR, https://no-color.org). At `--log-level debug`/`trace` errors keep
 *   their stacks.
 * - Once: a warning or error whose text (message, error message and plain fields other than ids)
 *   was already printed is logged again at debug level only, through pino's `hooks.logMethod`
 *   (https://getpino.io/#/docs/api?id=logmethod). A learner without an LLM thus sees "LLM failed"
 *   once, not on every turn.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Fields that differ between repeats of the same problem and so are left out of its identity. */
const VOLATILE_FIELDS = new Set(['time', 'pid', 'hostname', 'level', 'msg', 'err', 'error', 'session', 'reqId', 'responseTime', 'conversation', 'conversationId']);
/** How many distinct problems are remembered; older ones may be printed again. */
const MAX_REMEMBERED = 1000;
const WARN_LEVEL = 40;

export interface CreateLoggerOptions {
  level: LoggerOptions['level'];
  /** Where lines go (default stdout); tests pass a stream. */
  destination?: NodeJS.WritableStream;
  /** Colour the level names (default: destination is a TTY and NO_COLOR is unset). */
  colorize?: boolean;
}

/** A pino logger for the terminal; see the module comment for the format and the de-duplication. */
export function createTerminalLogger(options: CreateLoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const verbose = options.level === 'debug' || options.level === 'trace';
  const loggerOptions: LoggerOptions = { level: options.level, hooks: { logMethod: onceHook() } };
  const stream = pretty({
    destination,
    sync: true,
    colorize: options.colorize ?? (Boolean((destination as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR),
    translateTime: 'HH:MM:ss',
    singleLine: true,
    // Session and request ids tell a learner nothing; they stay in debug output.
    ignore: verbose ? 'pid,hostname' : 'pid,hostname,err,error,session,reqId',
    messageFormat: (log, messageKey) => withErrorMessage(log, messageKey, verbose),
  });
  return pino(loggerOptions, stream);
}

/** The line's message, followed by the error's message unless the message already says it. */
function withErrorMessage(log: Record<string, unknown>, messageKey: string, verbose: boolean): string {
  const message = String(log[messageKey] ?? '');
  if (verbose) return message;
  const error = errorText(log.err ?? log.error);
  return error && !message.includes(error) ? `${message}${message ? ': ' : ''}${error}` : message;
}

function errorText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && 'message' in value && typeof value.message === 'string') return value.message;
  return undefined;
}

/** `hooks.logMethod` that demotes a repeated warning or error to debug. */
function onceHook(): NonNullable<NonNullable<LoggerOptions['hooks']>['logMethod']> {
  const seen = new Set<string>();
  return function logMethod(this: Logger, args, method, level) {
    if (level < WARN_LEVEL) return method.apply(this, args);
    const key = problemKey(args);
    if (!seen.has(key)) {
      if (seen.size >= MAX_REMEMBERED) seen.delete(seen.values().next().value!);
      seen.add(key);
      return method.apply(this, args);
    }
    return this.debug(...(args as [string]));
  };
}

/** The identity of a log call: its message, its error's message and its plain non-id fields. */
function problemKey(args: unknown[]): string {
  const [first, ...rest] = args;
  const parts: string[] = [];
  if (first instanceof Error) parts.push(first.message);
  else if (first && typeof first === 'object') {
    const fields = first as Record<string, unknown>;
    parts.push(errorText(fields.err) ?? '', errorText(fields.error) ?? '');
    for (const [key, value] of Object.entries(fields)) {
      if (!VOLATILE_FIELDS.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) parts.push(`${key}=${value}`);
    }
  } else parts.push(String(first));
  for (const value of rest) parts.push(String(value));
  return parts.join('\u0000');
}
