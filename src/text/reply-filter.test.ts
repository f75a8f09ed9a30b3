import { describe, it, expect } from 'vitest';
import { ReplyFilter, filterReply } from './reply-filter.js';

/** Streams `parts` through one filter and concatenates everything it emits. */
function stream(parts: readonly string[]): string {
  const filter = new ReplyFilter();
  return parts.map((part) => filter.push(part)).join('') + filter.flush();
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
 * Asserts that `input` filters to `expected` in one piece, split in two at every position, split
 * into single UTF-16 units, and split at random positions.
 */
function expectFiltered(input: string, expected: string): void {
  expect(filterReply(input)).toBe(expected);
  expect(stream([input])).toBe(expected);
  for (let cut = 0; cut <= input.length; cut++) {
    expect(stream([input.slice(0, cut), input.slice(cut)]), `split at ${cut}`).toBe(expected);
  }
  expect(stream(input.split('')), 'single characters').toBe(expected);
  const next = random(input.length);
  for (let round = 0; round < 50; round++) {
    const parts: string[] = [];
    let index = 0;
    while (index < input.length) {
      const size = 1 + Math.floor(next() * 6);
      parts.push(input.slice(index, index + size));
      index += size;
    }
    expect(stream(parts), `random split ${JSON.stringify(parts)}`).toBe(expected);
  }
}

/** Representative replies and what must come out of them. */
const CASES: ReadonlyArray<{ name: string; input: string; expected: string }> = [
  {
    name: 'a reasoning block before the answer (Qwen3 style)',
    input: '<think>\nThe user greets me. I should reply warmly.\n</think>\n\nHello! How are you today?',
    expected: 'Hello! How are you today?',
  },
  {
    name: 'a <thinking> block and bold text',
    input: '<thinking>plan: praise, then ask</thinking>Sure, **great** question.',
    expected: 'Sure, great question.',
  },
  {
    name: 'several blocks, one with lookalike tags inside',
    input: '<think>x < y and </thin k> and <think></think>Answer<thinking>b</thinking> here.',
    expected: 'Answer here.',
  },
  {
    name: 'a reasoning block in the middle of a line',
    input: 'Hello <think>should I say more?</think> there, friend.',
    expected: 'Hello there, friend.',
  },
  {
    name: 'an unclosed reasoning block is dropped',
    input: 'Hi! <think>this never ends',
    expected: 'Hi!',
  },
  {
    name: 'a stray closing tag is dropped on its own',
    input: 'A stray </think>tag and <b>html</b> stay.',
    expected: 'A stray tag and <b>html</b> stay.',
  },
  {
    name: 'numbered and bulleted lists',
    input:
      'Here are some tips:\n\n1. **Practice** every day.\n2) Read _short_ stories.\n- Watch movies\n* Listen to podcasts\n+ Speak often\n• Relax',
    expected:
      'Here are some tips:\nPractice every day.\nRead short stories.\nWatch movies\nListen to podcasts\nSpeak often\nRelax',
  },
  {
    name: 'an indented nested list',
    input: 'Options:\n  - first\n    - second\n  10. tenth',
    expected: 'Options:\nfirst\nsecond\ntenth',
  },
  {
    name: 'headings',
    input: '# Title\n## Grammar tip\n###### Small\nUse it.',
    expected: 'Title\nGrammar tip\nSmall\nUse it.',
  },
  {
    name: 'hashes that are not headings',
    input: '#hashtag and #1 fan\n####### seven\nC# code',
    expected: '#hashtag and #1 fan\n####### seven\nC# code',
  },
  {
    name: 'inline code',
    input: 'Use `present perfect` here, and ``a`b`` there.',
    expected: 'Use present perfect here, and ab there.',
  },
  {
    name: 'a fenced block with a language tag keeps its code as written',
    input: 'Try this:\n```python\nprint("hi_there")  # a * b\n```\nDone.',
    expected: 'Try this:\nprint("hi_there") # a * b\nDone.',
  },
  {
    name: 'a fenced block without a language tag',
    input: '```\n**not bold** in code\n```\n**bold** out of code',
    expected: '**not bold** in code\nbold out of code',
  },
  {
    name: 'an unclosed inline code span ends at the newline',
    input: 'It`s odd\n- **but** this is a list',
    expected: 'Its odd\nbut this is a list',
  },
  {
    name: 'emphasis of every kind',
    input: '***Wow***, that is __very__ good! *Really* _nice_, and **"quoted"**.',
    expected: 'Wow, that is very good! Really nice, and "quoted".',
  },
  {
    name: 'emphasis next to apostrophes',
    input: "It's *so* good, *don't* stop.",
    expected: "It's so good, don't stop.",
  },
  {
    name: 'ordinary text passes through untouched',
    input: "Math: 3 < 5 and 5 * 3 = 15, 5*3, a-b, don't, 1.5 liters, snake_case, x_1, 10 > 9.",
    expected: "Math: 3 < 5 and 5 * 3 = 15, 5*3, a-b, don't, 1.5 liters, snake_case, x_1, 10 > 9.",
  },
  {
    name: 'fill-in blanks are kept',
    input: 'Fill in the blank: Yesterday I ____ to school. I ___.',
    expected: 'Fill in the blank: Yesterday I ____ to school. I ___.',
  },
  {
    name: 'numbers and dashes at the start of a line are not list markers',
    input: '1.5 liters\n2024. A year.\n1234. Too long.\n-5 degrees\n3.\n--',
    expected: '1.5 liters\n2024. A year.\n1234. Too long.\n-5 degrees\n3.\n--',
  },
  {
    name: 'whitespace is collapsed and trimmed',
    input: '   \n  Leading   and\ttrailing \n\n\n new paragraph  \n\n  ',
    expected: 'Leading and trailing\nnew paragraph',
  },
  {
    name: 'unicode text',
    input: 'Café — “quoted” text… ünïcödé_wörd 😀!',
    expected: 'Café — “quoted” text… ünïcödé_wörd 😀!',
  },
  {
    name: 'lone markers at the very end are text',
    input: 'Number #\nsum <\n*',
    expected: 'Number #\nsum <\n*',
  },
  {
    name: 'a partial tag at the end is text',
    input: 'It ends with <thi',
    expected: 'It ends with <thi',
  },
];

describe('ReplyFilter', () => {
  for (const { name, input, expected } of CASES) {
    it(`${name}: same output for every split`, () => {
      expectFiltered(input, expected);
    });
  }

  it('holds back only the ambiguous suffix', () => {
    const filter = new ReplyFilter();
    expect(filter.push('Hello')).toBe('Hello');
    expect(filter.push(' wor')).toBe(' wor');
    expect(filter.push('ld <')).toBe('ld');
    expect(filter.push('b>')).toBe(' <b>');
    expect(filter.push(' <thi')).toBe('');
    expect(filter.push('nk>secret')).toBe('');
    expect(filter.push('</thi')).toBe('');
    expect(filter.push('nk> **bo')).toBe(' bo');
    expect(filter.push('ld*')).toBe('ld');
    expect(filter.push('* 5 *')).toBe(' 5');
    expect(filter.push(' 3')).toBe(' * 3');
    expect(filter.push('\n')).toBe('');
    expect(filter.push('1')).toBe('');
    expect(filter.push('.')).toBe('');
    expect(filter.push(' Go')).toBe('\nGo');
    expect(filter.flush()).toBe('');
  });

  it('emits nothing while a reasoning block streams', () => {
    const filter = new ReplyFilter();
    const deltas = ['<', 'think', '>', 'Let me', ' think', ' about', ' it.', '</', 'think', '>', '\n\n', 'Hi', '!'];
    const outputs = deltas.map((delta) => filter.push(delta));
    expect(outputs.slice(0, 11).join('')).toBe('');
    expect(outputs.join('') + filter.flush()).toBe('Hi!');
  });

  it('drops the whole rest when a reasoning block never closes', () => {
    const filter = new ReplyFilter();
    expect(filter.push('<think>still thinking <')).toBe('');
    expect(filter.push('/thi')).toBe('');
    expect(filter.flush()).toBe('');
  });

  it('is reset by flush for the next reply', () => {
    const filter = new ReplyFilter();
    expect(filter.push('<think>unclosed')).toBe('');
    expect(filter.flush()).toBe('');
    expect(filter.push('- **Next** reply')).toBe('Next reply');
    expect(filter.flush()).toBe('');
  });

  it('gives the same output for every split of generated replies full of markers', () => {
    const pieces = [
      '<think>', '</think>', '<thinking>', '</thinking>', '<', '</', '<thi', '>', '`', '```', '```py\n',
      '*', '**', '_', '__', '___', '#', '## ', '- ', '* ', '1. ', '12) ', '\n', '\n\n', ' ', '  ', '\t',
      'word', 'snake_case', '5 * 3', "don't", '3.14', '😀', '.', ',',
    ];
    const next = random(7);
    for (let round = 0; round < 300; round++) {
      let input = '';
      const count = 1 + Math.floor(next() * 30);
      for (let k = 0; k < count; k++) input += pieces[Math.floor(next() * pieces.length)];
      const expected = filterReply(input);
      for (let cut = 0; cut <= input.length; cut++) {
        expect(stream([input.slice(0, cut), input.slice(cut)]), JSON.stringify([input, cut])).toBe(expected);
      }
      expect(stream(input.split('')), JSON.stringify(input)).toBe(expected);
      expect(expected).toBe(expected.trim());
      expect(expected).not.toMatch(/ {2}|\n\n| \n|\n |\t/);
    }
  });

  it('returns empty strings for an empty stream', () => {
    const filter = new ReplyFilter();
    expect(filter.push('')).toBe('');
    expect(filter.flush()).toBe('');
    expect(filterReply('  \n ')).toBe('');
  });
});
