/**
 * Free-conversation topics and the "topic of the day": a fixed list and a pick that depends only
 * on the calendar date, so every session on one day (and every test) gets the same topic.
 *
 * @example
 * const topic = topicOfTheDay(new Date('2025-03-14T09:00:00'));
 * buildSystemPrompt({ profile, topic: topic.title });
 */

/** A conversation topic with a first question the tutor can open with. */
export interface Topic {
  /** Stable kebab-case id. */
  id: string;
  /** A few words, e.g. `'Food and cooking'`. */
  title: string;
  /** The tutor's opening question, plain spoken English suitable from A2 up. */
  question: string;
}

/** The topics, in the order the daily pick walks through them. */
export const TOPICS: readonly Topic[] = Object.freeze([
  { id: 'food', title: 'Food and cooking', question: 'What did you eat today, and did you cook it yourself?' },
  { id: 'weekend', title: 'Weekend plans', question: 'What are you going to do this weekend?' },
  { id: 'travel', title: 'Travel', question: 'What is the best place you have ever visited?' },
  { id: 'work-study', title: 'Work and study', question: 'What do you do during a normal day at work or school?' },
  { id: 'hobbies', title: 'Hobbies', question: 'What do you like to do in your free time?' },
  { id: 'hometown', title: 'Your hometown', question: 'Where did you grow up, and what is it like there?' },
  { id: 'films-books', title: 'Films and books', question: 'Have you watched a good film or read a good book recently?' },
  { id: 'music', title: 'Music', question: 'What kind of music do you listen to?' },
  { id: 'sport', title: 'Sport and health', question: 'Do you do any sport, or how do you stay healthy?' },
  { id: 'technology', title: 'Technology', question: 'Which app or gadget could you not live without?' },
  { id: 'family-friends', title: 'Family and friends', question: 'Who do you spend most of your time with?' },
  { id: 'childhood', title: 'Childhood memories', question: 'What is a happy memory from when you were a child?' },
  { id: 'future', title: 'Dreams and the future', question: 'Where would you like to be in five years?' },
  { id: 'weather-seasons', title: 'Weather and seasons', question: 'What is your favourite season, and why?' },
  { id: 'shopping', title: 'Shopping', question: 'What was the last thing you bought that made you happy?' },
  { id: 'learning-english', title: 'Learning English', question: 'Why are you learning English, and what is hardest for you?' },
  { id: 'animals', title: 'Animals and pets', question: 'Do you have a pet, or would you like one?' },
  { id: 'city-country', title: 'City or countryside', question: 'Would you rather live in a big city or in the countryside?' },
  { id: 'celebrations', title: 'Holidays and celebrations', question: 'How do you usually celebrate your birthday?' },
  { id: 'news', title: 'Something in the news', question: 'Have you heard any interesting news this week?' },
]);

const DAY_MS = 86_400_000;

/**
 * The topic of `date`'s calendar day in the local time zone: topics follow one another day by day
 * ({@link TOPICS}[days since 1970-01-01 mod length]), so consecutive days never repeat.
 */
export function topicOfTheDay(date: Date = new Date()): Topic {
  const day = Math.floor(Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) / DAY_MS);
  const index = ((day % TOPICS.length) + TOPICS.length) % TOPICS.length;
  return TOPICS[index]!;
}

/** The topic with this id, if any. */
export function findTopic(id: string): Topic | undefined {
  return TOPICS.find((topic) => topic.id === id);
}
