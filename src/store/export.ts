/**
 * A conversation as a file: JSON (everything, for scripts and re-import elsewhere) or Markdown
 * (for people: the dialogue with each correction under the learner's sentence).
 */
import type { ConversationDetail, TurnWithCorrection } from './conversations.js';

/** Bump `version` when the shape changes incompatibly. */
export interface ConversationExport {
  format: 'localchat.conversation';
  version: 1;
  /** ISO 8601, UTC. */
  exportedAt: string;
  /** Times inside are ms since the epoch, as the store keeps them. */
  conversation: ConversationDetail;
  /** The session report's JSON, or null when none was made. */
  report: unknown;
}

/** The export document for a conversation read with getConversation; `exportedAt` in ms since the epoch. */
export function buildConversationExport(conversation: ConversationDetail, report: unknown, exportedAt: number): ConversationExport {
  return { format: 'localchat.conversation', version: 1, exportedAt: new Date(exportedAt).toISOString(), conversation, report: report ?? null };
}

/** Pretty-printed JSON, ending with a newline. */
export function conversationToJson(data: ConversationExport): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * Markdown: a title, a short list of facts (times in UTC), then one paragraph per turn; under a
 * learner turn with a correction, a quote with the corrected sentence and each error's category,
 * change, rule and example. Interrupted replies are marked. The session report, if any, follows as
 * a JSON block.
 */
export function conversationToMarkdown(data: ConversationExport): string {
  const { conversation } = data;
  const lines: string[] = [`# ${escapeMarkdown(conversation.title ?? `Conversation of ${formatTime(conversation.createdAt)}`)}`, ''];
  lines.push(`- Started: ${formatTime(conversation.createdAt)}`);
  if (conversation.endedAt !== null) lines.push(`- Ended: ${formatTime(conversation.endedAt)}`);
  if (conversation.scenarioId) lines.push(`- Scenario: ${escapeMarkdown(conversation.scenarioId)}`);
  lines.push(`- Mode: ${escapeMarkdown(conversation.mode)}`, `- Turns: ${conversation.turns.length}`, '');
  for (const turn of conversation.turns) lines.push(...turnLines(turn), '');
  if (data.report !== null && data.report !== undefined) {
    lines.push('## Session report', '', '```json', JSON.stringify(data.report, null, 2), '```', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function turnLines(turn: TurnWithCorrection): string[] {
  const who = turn.role === 'user' ? 'You' : 'Tutor';
  const how = turn.role === 'user' && turn.source ? ` (${turn.source})` : '';
  const text = turn.text.trim() ? turn.text.split(/\r?\n/).map(escapeMarkdown).join('  \n') : '_(nothing said)_';
  const lines = [`**${who}**${how}: ${text}${turn.interrupted ? ' _(interrupted)_' : ''}`];
  const correction = turn.correction;
  if (correction) {
    lines.push('');
    if (correction.errors.length === 0) {
      lines.push('> ✓ Correct.');
    } else {
      lines.push(`> ✏️ **${escapeMarkdown(correction.corrected)}**`);
      for (const error of correction.errors) {
        const example = error.example ? ` Example: _${escapeMarkdown(error.example)}_` : '';
        lines.push(`> - *${escapeMarkdown(error.category)}*: "${escapeMarkdown(error.original)}" → "${escapeMarkdown(error.correction)}" — ${escapeMarkdown(error.rule)}${example}`);
      }
    }
  }
  return lines;
}

/** Backslash-escapes the characters that would change Markdown formatting (CommonMark §2.4). */
function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#>+-])(?=\s)/, '$1\\$2')
    .replace(/^(\s*\d+)\.(?=\s)/, '$1\\.');
}

function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
