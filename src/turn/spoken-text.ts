/**
 * What the learner actually heard of a reply, for barge-in: after `conversation.item.truncate`
 * with `audio_end_ms`, history keeps only the words that were played (pipecat's rule: after an
 * interruption, history keeps only the words actually spoken).
 */

/** One spoken chunk of a reply: its text and how many samples of audio it produced. */
export interface SpokenChunk {
  text: string;
  samples: number;
}

/**
 * The text heard when playback stopped after `playedSamples` samples: whole chunks that were
 * played completely, plus the share of words of the chunk that was playing, in proportion to
 * the samples of it that were played (speech is close enough to a constant rate of words for
 * this). Chunks without audio (a TTS failure) count as heard once playback passed them.
 *
 * @param chunks the reply's chunks in order, with their audio length in samples
 * @param playedSamples samples played by the client (audio_end_ms x sample rate / 1000)
 */
export function spokenText(chunks: readonly SpokenChunk[], playedSamples: number): string {
  const heard: string[] = [];
  let position = 0;
  for (const chunk of chunks) {
    if (playedSamples >= position + chunk.samples) {
      heard.push(chunk.text);
      position += chunk.samples;
      continue;
    }
    const fraction = (playedSamples - position) / chunk.samples;
    const words = chunk.text.split(/\s+/).filter(Boolean);
    const count = Math.floor(words.length * fraction);
    if (count > 0) heard.push(words.slice(0, count).join(' '));
    break;
  }
  return heard.join(' ').trim();
}
