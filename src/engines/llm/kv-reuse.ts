/**
 * Reusing a sequence's KV cache when a new prompt leaves out blocks of the cached one (a history
 * window trimmed at its start, a summary that was replaced): the cached tokens after a left-out
 * block are kept and shifted back to their new positions (llama.cpp re-applies RoPE to their keys)
 * instead of being evaluated again.
 *
 * The chunk matching follows llama.cpp's server (`--cache-reuse`, `tools/server/server.cpp`,
 * https://github.com/ggml-org/llama.cpp/pull/9866): after the common prefix, walk the cached and
 * the new tokens together; a run of at least `minChunk` equal tokens is kept (shifted), a cached
 * token that starts no such run is erased.
 */

/** Shortest run of equal tokens worth keeping, as llama.cpp's server's `--cache-reuse` size. */
export const MIN_REUSED_CHUNK = 32;

/** A cached token range to erase: `start` inclusive, `end` exclusive (cache positions). */
export interface CacheRange {
  start: number;
  end: number;
}

/** What {@link planKvReuse} found. */
export interface KvReusePlan {
  /** Tokens the cache and the prompt share from the start. */
  prefix: number;
  /** Cached ranges to erase (ascending, in the cache's positions before any erase); empty: nothing to shift. */
  erase: CacheRange[];
  /** Prompt tokens found in the cache: the prefix plus every shifted chunk. */
  reused: number;
}

/**
 * Plans how much of `cached` a sequence can keep for `prompt`. After erasing `erase` (with the
 * tokens behind each range shifted back), the cache starts with the prompt's first `reused`
 * tokens; whatever cached tokens follow them differ from the prompt and are overwritten by the
 * next evaluation as usual.
 * @param cached the tokens in the sequence's KV cache, in order
 * @param prompt the next prompt's tokens
 * @param minChunk shortest run of equal tokens to keep after the common prefix (default {@link MIN_REUSED_CHUNK})
 */
export function planKvReuse(cached: ArrayLike<number>, prompt: ArrayLike<number>, minChunk = MIN_REUSED_CHUNK): KvReusePlan {
  let prefix = 0;
  while (prefix < cached.length && prefix < prompt.length && cached[prefix] === prompt[prefix]) prefix++;
  const erase: CacheRange[] = [];
  let headCached = prefix;
  let headPrompt = prefix;
  let eraseStart: number | undefined;
  while (headCached < cached.length && headPrompt < prompt.length) {
    let run = 0;
    while (headCached + run < cached.length && headPrompt + run < prompt.length && cached[headCached + run] === prompt[headPrompt + run]) run++;
    if (run >= minChunk) {
      if (eraseStart !== undefined) erase.push({ start: eraseStart, end: headCached });
      eraseStart = undefined;
      headCached += run;
      headPrompt += run;
    } else {
      eraseStart ??= headCached;
      headCached++;
    }
  }
  return { prefix, erase, reused: erase.length > 0 ? headPrompt : prefix };
}
