import { describe, it, expect } from 'vitest';
import { ReplyFilter } from './reply-filter.js';
import { type ChunkerOptions, DEFAULT_CHUNKER_OPTIONS, SentenceChunker, chunkText } from './sentence-chunker.js';

/** Every sentence end splits; the first-chunk clause rule is off. */
const SENTENCES: ChunkerOptions = { minChars: 1, firstChunkMinChars: 1000 };

/** Streams `parts` through one chunker and collects every chunk. */
function stream(parts: readonly string[], options?: ChunkerOptions): string[] {
  const chunker = new SentenceChunker(options);
  const chunks = parts.flatMap((part) => chunker.push(part));
  return [...chunks, ...chunker.flush()];
}

/** Small deterministic PRNG (mulberry32), so random splits are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Chunks `text` one-shot and asserts that streaming it (split in two at every position, as single
 * UTF-16 units, at random positions) gives the same chunks, and that chunks are trimmed, non-empty
 * and within maxChars. Returns the chunks.
 */
function chunkStable(text: string, options?: ChunkerOptions): string[] {
  const expected = chunkText(text, options);
  for (let cut = 0; cut <= text.length; cut++) {
    expect(stream([text.slice(0, cut), text.slice(cut)], options), `split at ${cut}`).toEqual(expected);
  }
  expect(stream(text.split(''), options), 'single characters').toEqual(expected);
  const next = random(text.length);
  for (let round = 0; round < 30; round++) {
    const parts: string[] = [];
    let index = 0;
    while (index < text.length) {
      const size = 1 + Math.floor(next() * 12);
      parts.push(text.slice(index, index + size));
      index += size;
    }
    expect(stream(parts, options), `random split ${JSON.stringify(parts)}`).toEqual(expected);
  }
  const maxChars = options?.maxChars ?? DEFAULT_CHUNKER_OPTIONS.maxChars;
  for (const chunk of expected) {
    expect(chunk).toBe(chunk.trim());
    expect(chunk.length).toBeGreaterThan(0);
    expect(chunk.length).toBeLessThanOrEqual(maxChars);
  }
  return expected;
}

/** Asserts the chunks of `text` (streamed at every split too) and that no text was lost. */
function expectChunks(text: string, options: ChunkerOptions | undefined, expected: string[]): void {
  const chunks = chunkStable(text, options);
  expect(chunks).toEqual(expected);
  expect(chunks.join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
}

describe('SentenceChunker: sentence ends', () => {
  it('splits a 3-sentence tutor reply into sentences (defaults)', () => {
    expectChunks(
      'That\'s a great question! In English, we usually say "I have been" for actions that started in the past. Can you try making a sentence with it?',
      undefined,
      [
        "That's a great question!",
        'In English, we usually say "I have been" for actions that started in the past.',
        'Can you try making a sentence with it?',
      ],
    );
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    expectChunks('She said "Hello." Then she left. (It was late.) We went home! Did she say ‘bye?’ No.', SENTENCES, [
      'She said "Hello."',
      'Then she left.',
      '(It was late.)',
      'We went home!',
      'Did she say ‘bye?’',
      'No.',
    ]);
  });

  it('takes runs of terminators as one end', () => {
    expectChunks('Really?! Wow!!! Okay. Hmm…', SENTENCES, ['Really?!', 'Wow!!!', 'Okay.', 'Hmm…']);
  });

  it('does not split at a terminator followed by a lowercase word', () => {
    expectChunks('Is it a cat? or a cut? Look! it moved. Fine.', SENTENCES, [
      'Is it a cat? or a cut?',
      'Look! it moved.',
      'Fine.',
    ]);
  });

  it('treats a newline as a sentence end', () => {
    expectChunks(
      'Here are three tips for you:\nPractice speaking every single day\nRead short stories aloud\nWatch films with subtitles',
      undefined,
      [
        'Here are three tips for you:',
        'Practice speaking every single day',
        'Read short stories aloud Watch films with subtitles',
      ],
    );
  });
});

describe('SentenceChunker: never splits inside', () => {
  it('titles', () => {
    expectChunks(
      'Dr. Smith is here. Mr. Jones and Mrs. Brown came. Ms. Lee met Prof. Kim. St. Paul is a city. It is J. K. Rowling.',
      SENTENCES,
      ['Dr. Smith is here.', 'Mr. Jones and Mrs. Brown came.', 'Ms. Lee met Prof. Kim.', 'St. Paul is a city.', 'It is J. K. Rowling.'],
    );
  });

  it('abbreviations: e.g. i.e. etc. vs. U.S. U.K. a.m. p.m.', () => {
    expectChunks(
      'Bring fruit, e.g. Apples or pears. That is, i.e. The red ones. Bring pens, paper, etc. and a bag. I like tea, coffee, etc. Then we start.',
      SENTENCES,
      [
        'Bring fruit, e.g. Apples or pears.',
        'That is, i.e. The red ones.',
        'Bring pens, paper, etc. and a bag.',
        'I like tea, coffee, etc.',
        'Then we start.',
      ],
    );
    expectChunks(
      'It is Real vs. Barcelona. The U.S. Army is big. The U.K. Parliament met. We meet at 9 a.m. Monday or at 5 p.m. Tuesday. Good.',
      SENTENCES,
      [
        'It is Real vs. Barcelona.',
        'The U.S. Army is big.',
        'The U.K. Parliament met.',
        'We meet at 9 a.m. Monday or at 5 p.m. Tuesday.',
        'Good.',
      ],
    );
  });

  it('decimal numbers and prices', () => {
    expectChunks('Pi is 3.14 and coffee costs $2.50 today. Version 1.2.3 is out. It was 5. Then 6.', SENTENCES, [
      'Pi is 3.14 and coffee costs $2.50 today.',
      'Version 1.2.3 is out.',
      'It was 5.',
      'Then 6.',
    ]);
  });

  it('a decimal number streamed as "3." + "14"', () => {
    const chunker = new SentenceChunker(SENTENCES);
    expect(chunker.push('Pi is about 3.')).toEqual([]);
    expect(chunker.push('14. Nice')).toEqual(['Pi is about 3.14.']);
    expect(chunker.flush()).toEqual(['Nice']);
  });

  it('URLs, e-mail addresses and domains', () => {
    expectChunks(
      'Visit example.com/path?q=1 for more. Write to me@mail.example.org if needed. Go to https://www.example.com. Then rest!',
      SENTENCES,
      [
        'Visit example.com/path?q=1 for more.',
        'Write to me@mail.example.org if needed.',
        'Go to https://www.example.com.',
        'Then rest!',
      ],
    );
  });

  it('ellipses followed by a lowercase word or "I"', () => {
    expectChunks('Well... I think so. Hmm… maybe later. It was good... Then it rained. Wait... I\'m here.', SENTENCES, [
      'Well... I think so.',
      'Hmm… maybe later.',
      'It was good...',
      'Then it rained.',
      "Wait... I'm here.",
    ]);
    expectChunks('Well... I think that is right.', undefined, ['Well... I think that is right.']);
  });

  it('an ellipsis before a capital word that starts with I is a sentence end', () => {
    expectChunks('Well... It is fine.', SENTENCES, ['Well...', 'It is fine.']);
  });
});

describe('SentenceChunker: minChars', () => {
  it('merges short sentences with the next one', () => {
    expectChunks('I see what you mean now. Oh. Great job! Let\'s try another example together. See you.', undefined, [
      'I see what you mean now.',
      "Oh. Great job! Let's try another example together.",
      'See you.',
    ]);
  });

  it('lets the last chunk be short at flush', () => {
    expectChunks('This first sentence is long enough. Ok.', undefined, ['This first sentence is long enough.', 'Ok.']);
  });

  it('merges everything shorter than minChars into one chunk', () => {
    expectChunks('Oh. Yes. Good.', undefined, ['Oh. Yes. Good.']);
  });
});

describe('SentenceChunker: first chunk', () => {
  it('may end at a comma once it has firstChunkMinChars', () => {
    expectChunks('Well, that is a really good question, and I think you did great with it.', undefined, [
      'Well, that is a really good question,',
      'and I think you did great with it.',
    ]);
  });

  it('may end at ; : and dashes', () => {
    expect(chunkStable('I really love that idea—it sounds fun.')).toEqual(['I really love that idea—', 'it sounds fun.']);
    expectChunks('Here is my honest answer; it is yes.', undefined, ['Here is my honest answer;', 'it is yes.']);
    expectChunks('This is the rule to remember: always add s.', undefined, [
      'This is the rule to remember:',
      'always add s.',
    ]);
    expectChunks('I love that plan so very much – let us go.', undefined, ['I love that plan so very much –', 'let us go.']);
  });

  it('does not end at numbers, times or URLs with , and :', () => {
    expectChunks('We had 3,000 visitors at 10:30 on https://example.com today.', undefined, [
      'We had 3,000 visitors at 10:30 on https://example.com today.',
    ]);
  });

  it('the clause rule applies only to the first chunk of a reply', () => {
    const text =
      'That is exactly right, well done. Now, for the next part, we will practise the past tense, which you know already, with some short examples.';
    expectChunks(text, undefined, [
      'That is exactly right, well done.',
      'Now, for the next part, we will practise the past tense, which you know already, with some short examples.',
    ]);
  });

  it('applies again to the first chunk after flush', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('Okay then, my good friend, this is the first reply. ')).toEqual(['Okay then, my good friend,']);
    expect(chunker.flush()).toEqual(['this is the first reply.']);
    expect(chunker.push('Okay then, my good friend, this is the second reply.')).toEqual(['Okay then, my good friend,']);
    expect(chunker.flush()).toEqual(['this is the second reply.']);
  });
});

describe('SentenceChunker: maxChars', () => {
  it('splits a long run-on sentence at commas', () => {
    const text =
      'Let me tell you why this matters. ' +
      'When you practise speaking every day, even for just ten minutes, you will notice that your confidence grows, ' +
      'your pronunciation improves, your vocabulary becomes richer, and you start to think in English without translating, ' +
      'which is exactly what fluent speakers do, so keep going and do not give up when it feels hard.';
    const chunks = chunkStable(text);
    expect(chunks).toEqual([
      'Let me tell you why this matters.',
      'When you practise speaking every day, even for just ten minutes, you will notice that your confidence grows, your pronunciation improves, your vocabulary becomes richer,',
      'and you start to think in English without translating, which is exactly what fluent speakers do, so keep going and do not give up when it feels hard.',
    ]);
    expect(chunks.join(' ')).toBe(text);
  });

  it('prefers ; and : to commas', () => {
    const options = { maxChars: 80, minChars: 10 };
    const text =
      'This one goes on, and on; it has a semicolon early, then commas, more commas, and yet more words at the end.';
    expectChunks(text, options, [
      'This one goes on, and on;',
      'it has a semicolon early, then commas, more commas,',
      'and yet more words at the end.',
    ]);
  });

  it('splits text with no punctuation at a space', () => {
    const text = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ');
    const chunks = chunkStable(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThan(220 - 8);
    expect(chunks.join(' ')).toBe(text);
  });

  it('prefers a cut that leaves minChars over a short sentence end', () => {
    const text = `Oh. ${'la '.repeat(40)}end`;
    const chunks = chunkStable(text, { maxChars: 60, minChars: 20 });
    expect(chunks[0]).toMatch(/^Oh\. la la/);
    expect(chunks.join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
  });

  it('cuts a word longer than maxChars hard', () => {
    const text = `See ${'x'.repeat(50)} now.`;
    expect(chunkStable(text, { maxChars: 20, minChars: 5 })).toEqual([
      'See',
      'x'.repeat(20),
      'x'.repeat(20),
      `${'x'.repeat(10)} now.`,
    ]);
  });

  it('does not cut a surrogate pair in two', () => {
    const text = '😀'.repeat(12);
    const chunks = chunkStable(text, { maxChars: 5, minChars: 1 });
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(chunk).toMatch(/^(?:😀)+$/u);
  });
});

describe('SentenceChunker: streaming', () => {
  it('emits a sentence once the next non-space character arrives', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('Hello there, my dear friend.')).toEqual([]);
    expect(chunker.push('  ')).toEqual([]);
    expect(chunker.push('H')).toEqual(['Hello there, my dear friend.']);
    expect(chunker.push('ow are you?')).toEqual([]);
    expect(chunker.flush()).toEqual(['How are you?']);
  });

  it('gives the same chunks for every split of mixed text', () => {
    const texts = [
      'Great job, Maria! You used "went" correctly… but remember: we say "I went to the U.S. last year", not "I goed". Dr. Lee, e.g., would say it at 9 a.m. Try again? It costs $2.50, or 3.5 euros. Visit example.com/learn?id=7 for more!',
      'Oh. Hmm... I see. Well, actually, the answer is 42.\nNext line here\nAnd another line, with a comma; and a semicolon: done.',
      'Short. Tiny. Wee. ' + 'and then a very long clause without a full stop, '.repeat(6) + 'end.',
    ];
    for (const text of texts) {
      for (const options of [undefined, SENTENCES, { minChars: 10, maxChars: 60, firstChunkMinChars: 12 }]) {
        const chunks = chunkStable(text, options);
        expect(chunks.join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
      }
    }
  });

  it('gives the same chunks for every split of generated text full of edge cases', () => {
    const pieces = [
      'word', 'The', 'and', 'I', 'I ', 'x', ' ', '  ', '\n', '.', '. ', '...', '…', '!', '?', '?!', ',', ', ', ';', ':',
      ' — ', '—', ' – ', '"', '”', ')', 'Dr.', 'U.S.', 'e.g.', 'etc.', 'a.m.', 'J.', '3.14', '$2.50',
      'example.com/a?b=1', "don't", '😀',
    ];
    const optionSets: Array<ChunkerOptions | undefined> = [
      undefined,
      SENTENCES,
      { minChars: 5, maxChars: 30, firstChunkMinChars: 8 },
      { minChars: 0, maxChars: 7, firstChunkMinChars: 0 },
    ];
    const next = random(11);
    for (let round = 0; round < 300; round++) {
      let text = '';
      const count = 1 + Math.floor(next() * 40);
      for (let k = 0; k < count; k++) text += pieces[Math.floor(next() * pieces.length)];
      const options = optionSets[round % optionSets.length];
      const expected = chunkText(text, options);
      for (let cut = 0; cut <= text.length; cut++) {
        const got = stream([text.slice(0, cut), text.slice(cut)], options);
        expect(got, JSON.stringify([text, cut, options])).toEqual(expected);
      }
      for (const chunk of expected) {
        expect(chunk.length).toBeGreaterThan(0);
        expect(chunk.length).toBeLessThanOrEqual(options?.maxChars ?? DEFAULT_CHUNKER_OPTIONS.maxChars);
        expect(chunk).toBe(chunk.trim());
      }
      // Nothing is lost or reordered.
      expect(expected.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    }
  });

  it('chunks the output of the reply filter as an LLM streams it', () => {
    const deltas = [
      '<think>', '\nThe learner', ' made a tense', ' mistake.', '\n</think>', '\n\n', '**Nice', ' try', '!**', ' You', ' said',
      ' "I go', ' yesterday"', ', but', ' we need', ' the past', ' tense', ' here', '.', '\n\n', '- Correct', ':', ' *I went',
      ' yesterday*', '.', '\n', '- Try', ' another', ' sentence', ' with', ' `went`', '.',
    ];
    const filter = new ReplyFilter();
    const chunker = new SentenceChunker();
    const chunks: string[] = [];
    for (const delta of deltas) chunks.push(...chunker.push(filter.push(delta)));
    chunks.push(...chunker.push(filter.flush()), ...chunker.flush());
    expect(chunks).toEqual([
      'Nice try! You said "I go yesterday",',
      'but we need the past tense here.',
      // 26 chars < minChars: merged with the next sentence.
      'Correct: I went yesterday. Try another sentence with went.',
    ]);
  });

  it('returns nothing for empty or blank text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('  \n\t ')).toEqual([]);
    const chunker = new SentenceChunker();
    expect(chunker.push('')).toEqual([]);
    expect(chunker.push('   ')).toEqual([]);
    expect(chunker.flush()).toEqual([]);
  });
});

describe('SentenceChunker: options', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_CHUNKER_OPTIONS).toEqual({ minChars: 30, maxChars: 220, firstChunkMinChars: 24 });
  });

  it('rejects invalid options', () => {
    expect(() => new SentenceChunker({ minChars: -1 })).toThrow(RangeError);
    expect(() => new SentenceChunker({ maxChars: 0 })).toThrow(RangeError);
    expect(() => new SentenceChunker({ maxChars: 2.5 })).toThrow(RangeError);
    expect(() => new SentenceChunker({ firstChunkMinChars: Number.NaN })).toThrow(RangeError);
    expect(() => new SentenceChunker({ minChars: 50, maxChars: 40 })).toThrow(RangeError);
  });
});

describe('SentenceChunker: no lookahead after a comma that follows a letter', () => {
  it('emits the first clause as soon as its comma arrives, before the next token', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('That sounds like a really lovely weekend')).toEqual([]);
    expect(chunker.push(',')).toEqual(['That sounds like a really lovely weekend,']);
    expect(chunker.push(' What did you do?')).toEqual([]);
    expect(chunker.flush()).toEqual(['What did you do?']);
  });

  it('still waits after a comma that follows a digit (3,000)', () => {
    const chunker = new SentenceChunker();
    expect(chunker.push('The tickets cost about 3,')).toEqual([]);
    expect(chunker.push('000 pounds, which is a lot.')).toEqual(['The tickets cost about 3,000 pounds,']);
  });
});
