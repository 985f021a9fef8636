/**
 * Language identification the way `langdetect` does it (Nakatani Shuyo's language-detection, whose Python port
 * IFEval's official checks call), written anew from its published algorithm and run on its 55 language profiles
 * (langdetect-profiles.json, Apache-2.0; see README.md beside this file). The text is cut to 10,000 characters,
 * URLs and e-mail addresses are blanked, a text mostly in a non-Latin script loses its Latin letters, and each
 * character is normalized (punctuation and digits to spaces, kana and Hangul to one letter each, kanji to their
 * class). Character 1- to 3-grams are drawn at random and multiply per-language probabilities until one language
 * passes 0.99999, in 7 trials with a jittered smoothing; the language with the highest mean probability above 0.1
 * wins. langdetect draws with an unseeded generator; here the generator is seeded, so a text always gets the same
 * verdict. Words in capitals contribute only their first letter, as in langdetect (so ALL-CAPS text is judged on
 * initials, and often not as English). Not done: langdetect's recomposition of Vietnamese letters written with
 * combining marks.
 */
interface Profiles {
  languages: string[];
  /** Per language, how many 1-, 2- and 3-grams its training text had. */
  nWords: number[][];
  /** Per language, each n-gram's count. */
  freq: Record<string, number>[];
  /** Kanji classes: each string's characters count as its first one. */
  cjkClasses: string[];
  latin1Excluded: string;
}

const MAX_TEXT = 10_000;
const TRIALS = 7;
const ALPHA = 0.5;
const ALPHA_WIDTH = 0.05;
const ITERATION_LIMIT = 1000;
const CONVERGED = 0.99999;
const REPORTED = 0.1;
const BASE_FREQ = 10_000;

/** The languages of the profiles, in their order there. */
export const LANGDETECT_LANGUAGES: readonly string[] = (
  'af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl no pa pl pt ro ' +
  'ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw'
).split(' ');

interface Model {
  /** Each n-gram's number; its languages and their probabilities are entries start[n]..start[n+1] of the two lists. */
  index: Map<string, number>;
  start: Int32Array;
  languages: Uint8Array;
  probabilities: Float64Array;
  /** Kanji to the first kanji of its class. */
  kanji: Map<string, string>;
  latin1Excluded: string;
}

let model: Model | undefined;

/**
 * Loads the profiles (2.6 MB of JSON) when a check first needs them, not when a worker thread starts: a thread
 * that never detects a language never pays for them.
 */
export async function loadLanguageProfiles(): Promise<void> {
  if (model) return;
  const { default: profiles } = await import('./langdetect-profiles.json', { with: { type: 'json' } });
  model ??= buildModel(profiles as unknown as Profiles);
}

function buildModel(profiles: Profiles): Model {
  if (profiles.languages.join(' ') !== LANGDETECT_LANGUAGES.join(' ')) throw new Error('langdetect: profiles out of order');
  const freqs = profiles.freq;
  const index = new Map<string, number>();
  const counts: number[] = [];
  for (const freq of freqs) {
    for (const gram in freq) {
      const n = index.get(gram);
      if (n === undefined) {
        index.set(gram, counts.length);
        counts.push(1);
      } else counts[n]!++;
    }
  }
  const start = new Int32Array(counts.length + 1);
  for (let n = 0; n < counts.length; n++) start[n + 1] = start[n]! + counts[n]!;
  const filled = start.slice(0, -1);
  const languages = new Uint8Array(start[counts.length]!);
  const probabilities = new Float64Array(start[counts.length]!);
  freqs.forEach((freq, language) => {
    const totals = profiles.nWords[language]!;
    for (const gram in freq) {
      const n = index.get(gram)!;
      const at = filled[n]!++;
      languages[at] = language;
      probabilities[at] = freq[gram]! / totals[[...gram].length - 1]!;
    }
  });
  const kanji = new Map<string, string>();
  for (const members of profiles.cjkClasses) {
    const representative = String.fromCodePoint(members.codePointAt(0)!);
    for (const member of members) kanji.set(member, representative);
  }
  return { index, start, languages, probabilities, kanji, latin1Excluded: profiles.latin1Excluded };
}

const URL_PATTERN = /https?:\/\/[-_.?&~;+=/#0-9A-Za-z]{1,2076}/g;
const MAIL_PATTERN = /[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}/g;

/** langdetect's character normalization, by Unicode block. */
function normalize(ch: string, m: Model): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? ch : ' ';
  if (cp <= 0xff) return m.latin1Excluded.includes(ch) ? ' ' : ch;
  if (cp >= 0x180 && cp <= 0x24f) return cp === 0x219 ? '\u015f' : cp === 0x21b ? '\u0163' : ch;
  if (cp >= 0x2000 && cp <= 0x206f) return ' ';
  if (cp >= 0x600 && cp <= 0x6ff) return cp === 0x6cc ? '\u064a' : ch;
  if (cp >= 0x1e00 && cp <= 0x1eff) return cp >= 0x1ea0 ? '\u1ec3' : ch;
  if (cp >= 0x3040 && cp <= 0x309f) return '\u3042';
  if (cp >= 0x30a0 && cp <= 0x30ff) return '\u30a2';
  if ((cp >= 0x3100 && cp <= 0x312f) || (cp >= 0x31a0 && cp <= 0x31bf)) return '\u3105';
  if (cp >= 0x4e00 && cp <= 0x9fff) return m.kanji.get(ch) ?? ch;
  if (cp >= 0xac00 && cp <= 0xd7af) return '\uac00';
  return ch;
}

function isUpper(ch: string): boolean {
  return ch !== ch.toLowerCase() && ch === ch.toUpperCase();
}

/** The text langdetect reads: links blanked, runs of spaces squeezed, cut to MAX_TEXT characters. */
function prepared(text: string): string[] {
  const chars: string[] = [];
  let previous = '';
  let read = 0;
  // Links are blanked before the cut, as langdetect does, in a bounded prefix (only a text made mostly of links
  // could read differently).
  for (const ch of text.slice(0, 10 * MAX_TEXT).replace(URL_PATTERN, ' ').replace(MAIL_PATTERN, ' ')) {
    if (read++ >= MAX_TEXT) break;
    if (ch !== ' ' || previous !== ' ') chars.push(ch);
    previous = ch;
  }
  // Text mostly in another script: its Latin letters (names, code, units) are dropped.
  let latin = 0;
  let other = 0;
  for (const ch of chars) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x41 && cp <= 0x7a) latin++;
    else if (cp >= 0x300 && !(cp >= 0x1e00 && cp <= 0x1eff)) other++;
  }
  if (latin * 2 >= other) return chars;
  return chars.filter((ch) => {
    const cp = ch.codePointAt(0)!;
    return cp < 0x41 || cp > 0x7a;
  });
}

/** The numbers of the text's 1- to 3-grams that some profile knows, in order, skipping words written in capitals. */
function ngrams(chars: string[], m: Model): number[] {
  const found: number[] = [];
  // The last (up to) three normalized characters, oldest first; a word starts after a space.
  let window: string[] = [' '];
  let capitalWord = false;
  const add = (gram: string) => {
    const n = m.index.get(gram);
    if (n !== undefined) found.push(n);
  };
  for (const raw of chars) {
    const ch = normalize(raw, m);
    const last = window[window.length - 1]!;
    if (last === ' ') {
      window = [' '];
      capitalWord = false;
      if (ch === ' ') continue;
    } else if (window.length >= 3) {
      window.shift();
    }
    window.push(ch);
    capitalWord = isUpper(ch) ? capitalWord || isUpper(last) : false;
    if (capitalWord) continue;
    if (ch !== ' ') add(ch);
    const size = window.length;
    if (size >= 2) add(window[size - 2]! + ch);
    if (size >= 3) add(window[size - 3]! + window[size - 2]! + ch);
  }
  return found;
}

/** A small seeded generator (mulberry32): the same text always draws the same n-grams. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Normalizes in place to sum 1; returns the largest probability. */
function normalizeProbabilities(prob: Float64Array): number {
  let sum = 0;
  for (const p of prob) sum += p;
  let max = 0;
  for (let i = 0; i < prob.length; i++) {
    prob[i] = prob[i]! / sum;
    if (prob[i]! > max) max = prob[i]!;
  }
  return max;
}

/**
 * The language langdetect would name for `text` (an ISO 639-1 code, or `zh-cn`/`zh-tw`), `unknown` when no
 * language passes 0.1, or undefined when the text has no usable character (langdetect raises then).
 */
export function detectLanguage(text: string): string | undefined {
  const m = model;
  if (!m) throw new Error('langdetect: the profiles are not loaded (await loadLanguageProfiles() first)');
  const found = ngrams(prepared(text), m);
  if (found.length === 0) return undefined;
  const languages = LANGDETECT_LANGUAGES.length;
  const total = new Float64Array(languages);
  const random = seededRandom(0);
  const prob = new Float64Array(languages);
  const boosted = new Float64Array(languages);

  for (let trial = 0; trial < TRIALS; trial++) {
    prob.fill(1 / languages);
    const weight = (ALPHA + gaussian(random) * ALPHA_WIDTH) / BASE_FREQ;
    for (let i = 0; ; i++) {
      const gram = found[Math.floor(random() * found.length)]!;
      // Each language's probability times (smoothing + its frequency of the n-gram); most frequencies are 0.
      boosted.fill(weight);
      for (let k = m.start[gram]!; k < m.start[gram + 1]!; k++) boosted[m.languages[k]!] = weight + m.probabilities[k]!;
      for (let j = 0; j < languages; j++) prob[j] = prob[j]! * boosted[j]!;
      if (i % 5 === 0 && (normalizeProbabilities(prob) > CONVERGED || i >= ITERATION_LIMIT)) break;
    }
    for (let j = 0; j < languages; j++) total[j] = total[j]! + prob[j]! / TRIALS;
  }
  let best = -1;
  for (let j = 0; j < languages; j++) if (total[j]! > REPORTED && (best === -1 || total[j]! > total[best]!)) best = j;
  return best === -1 ? 'unknown' : LANGDETECT_LANGUAGES[best];
}
