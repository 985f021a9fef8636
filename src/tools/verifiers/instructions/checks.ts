/**
 * The verifiable instructions of IFEval (Zhou et al., 2023, "Instruction-Following Evaluation for Large
 * Language Models"; google-research/google-research `instruction_following_eval`), written anew. Each check
 * follows the reference `check_following`; where the reference leans on other libraries we approximate:
 * - sentences: NLTK's Punkt is followed in its rules (see countSentences) with the common part of its learned
 *   abbreviations and sentence starters;
 * - capital words: NLTK's word_tokenize is approximated by runs of letters, digits, `.` and `-` (so hyphenated
 *   words count once and contractions split in two, as with NLTK);
 * - language: langdetect's own algorithm and profiles (langdetect.ts) for its 55 languages, which hold all of
 *   IFEval's; franc (trigram models of 187 languages, ISO 639-3 codes mapped to ISO 639-1) for the others.
 * Keywords, markers and phrases from kwargs are matched literally (the reference compiles some as regexes).
 * Responses are untrusted: every scan is linear in their length.
 */
import { franc } from 'franc';
import { ToolInputError } from '../../types.ts';
import { detectLanguage, LANGDETECT_LANGUAGES } from './langdetect.ts';

/** An instruction's arguments as IFEval data ships them, null values already dropped. */
export type InstructionKwargs = Readonly<Record<string, unknown>>;

/** `prompt` is only read by combination:repeat_prompt, when its kwargs lack `prompt_to_repeat`. */
export type InstructionCheck = (response: string, kwargs: InstructionKwargs, prompt: string) => boolean;

function numberArg(kwargs: InstructionKwargs, name: string): number {
  const value = kwargs[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ToolInputError(`kwarg "${name}" must be a number`);
  return value;
}

function stringArg(kwargs: InstructionKwargs, name: string): string {
  const value = kwargs[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ToolInputError(`kwarg "${name}" must be a non-empty string`);
  }
  return value;
}

function stringListArg(kwargs: InstructionKwargs, name: string): string[] {
  const value = kwargs[name];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new ToolInputError(`kwarg "${name}" must be a non-empty list of non-empty strings`);
  }
  return value as string[];
}

/** IFEval's two relations: "less than" is `count < threshold`, "at least" is `count >= threshold`. */
function compare(count: number, kwargs: InstructionKwargs, thresholdName: string, relationName: string): boolean {
  const threshold = numberArg(kwargs, thresholdName);
  const relation = kwargs[relationName];
  if (relation === 'less than') return count < threshold;
  if (relation === 'at least') return count >= threshold;
  throw new ToolInputError(`kwarg "${relationName}" must be "less than" or "at least"`);
}

/** Non-overlapping occurrences, as re.findall counts them. */
function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

/** Python's lstrip/rstrip with a set of characters, without a regex (`"+$` backtracks quadratically). */
function stripStart(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text.charAt(start))) start++;
  return text.slice(start);
}

function stripEnd(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Python's `\w` on str: Unicode letters, digits and `_`. */
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const WORD_RUN = new RegExp(`${WORD_CHAR.source}+`, 'gu');

/** A regex `\b` at `index`: a word character on exactly one side. */
function isWordBoundary(text: string, index: number): boolean {
  const low = text.charCodeAt(index - 1);
  const before = low >= 0xdc00 && low <= 0xdfff ? text.slice(index - 2, index) : text.charAt(index - 1);
  const after = String.fromCodePoint(text.codePointAt(index) ?? 0x20);
  return WORD_CHAR.test(before) !== WORD_CHAR.test(after);
}

/** `\bword\b`, case-insensitively. */
function containsWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i !== -1; i = text.indexOf(word, i + 1)) {
    if (isWordBoundary(text, i) && isWordBoundary(text, i + word.length)) return true;
  }
  return false;
}

/** IFEval's word count: runs of `\w`. */
export function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(WORD_RUN)) count++;
  return count;
}

/** Punkt's non-word characters: after one, `.`, `?` or `!` may still end a sentence ("word.)", "**Title.**"). */
const NON_WORD = `)";}]*:@'({[`;
/** Characters a Punkt word cannot start with. */
const NOT_WORD_START = `("\`{[:;&#*@)}]-,`;
/**
 * Abbreviations Punkt's English model knows (so "Mr. Smith" is one sentence); "etc.", "e.g." and "Fig." are not
 * among them, and end a sentence like any word.
 */
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'messrs', 'inc', 'ltd', 'co', 'corp', 'bros', 'vs', 'gen', 'col',
  'lt', 'maj', 'sen', 'rep', 'reps', 'adm', 'ave', 'ft', 'yr', 'mg', 'cos', 'chg', 'cie', 'ok', 'jan', 'feb', 'aug',
  'sep', 'sept', 'oct', 'nov', 'dec', 'tues', 'wed', 'fri', 'p.m', 'a.m', 'u.s', 'u.s.a', 'u.k', 'u.s.s.r', 'ph.d',
  'd.c', 'n.y', 'calif', 'ariz', 'conn', 'fla', 'ill', 'kan', 'ky', 'mich', 'minn', 'nev', 'okla', 'ore', 'tenn', 'va',
  'vt', 'wash', 'wis', 'ala', 'colo', 'ga', 'pa', 'n.j', 'n.c', 'n.h', 'n.m', 'n.d', 's.c', 'w.va', 'u.n', 'j.k', 'j.p',
  'j.r', 'a.d', 'c.v', 'r.i', 'l.a',
]);
/** Single letters that are such abbreviations: after them a capitalized word does not start a sentence either. */
const ABBREVIATED_LETTERS = new Set('cdefghklmnprstvw');
/**
 * Capitalized words that start a sentence after an abbreviation or an ellipsis; Punkt learned such words from its
 * training text, these are the common ones.
 */
const SENTENCE_STARTERS = new Set([
  'the', 'this', 'these', 'that', 'those', 'it', 'its', 'he', 'she', 'they', 'we', 'i', 'you', 'there', 'here', 'but',
  'so', 'however', 'in', 'if', 'when', 'while', 'although', 'though', 'since', 'thus', 'yet', 'also', 'many', 'most',
  'some', 'both', 'even', 'meanwhile', 'moreover', 'nevertheless', 'indeed', 'instead', 'under', 'among', 'nor',
  'according', 'despite', 'similarly', 'then', 'now', 'as', 'for', 'after', 'before', 'a', 'an', 'my', 'our', 'one',
]);
/** Words that Punkt's English model saw right after a number ending in a period without a sentence break. */
const NUMBER_COLLOCATIONS = new Set([
  'international', 'rj', 'commodities', 'cooper', 'genentech', 'wedgestone', 'pepper', 'insider', 'aes', 'credit',
  'corrections', 'financing', 'henley', 'business', 'pay-fone', 'leisure', 'pegasus', 'dividend', 'review', 'abreast',
  'who', 'letters', 'colgate', 'cbot', 'notable', 'zimmer',
]);
const CLOSERS = /^["')\]}]+$/;
const NUMBER_TOKEN = /^-?[.,]?\d[\d,.\-]*$/;

/**
 * Whether a period ending `word` ends a sentence when `next` follows: the next token, or the non-word character
 * right after the period ("5.)"), or nothing at the end of the text.
 */
function periodEndsSentence(word: string, next: string | undefined): boolean {
  if (next === undefined) return true;
  const first = next.charAt(0);
  const nextLower = isLower(first);
  const nextUpper = isUpper(first);
  const core = stripStart(word, NOT_WORD_START).toLowerCase();
  if (core === '') return true;
  // After an abbreviation ("Dr. Smith", "L.A. Lakers") a capitalized word goes on, unless it is a common sentence starter.
  if (ABBREVIATIONS.has(core)) return nextUpper && SENTENCE_STARTERS.has(stripEnd(next, NON_WORD + '.,!?').toLowerCase());
  // An initial ("J. Smith") or a number ("in 2020. then"): no sentence ends before a lowercase word.
  if (/^\p{L}$/u.test(core)) return !nextLower && !ABBREVIATED_LETTERS.has(core);
  if (NUMBER_TOKEN.test(core)) return !nextLower && !NUMBER_COLLOCATIONS.has(stripEnd(next, NON_WORD + '.,!?').toLowerCase());
  return true;
}

/**
 * Sentences as NLTK's Punkt tokenizer with its English model counts them (IFEval's count_sentences). A run of `.`,
 * `?`, `!` ends a sentence when a space or a non-word character (a straight quote, a bracket, `*`) follows it, not a
 * curly quote or a letter: `?` and `!` always; an ellipsis only before a capitalized word; a period after a word, but
 * not after a known abbreviation, and after a number or an initial not before a lowercase word. Newlines alone do not
 * break.
 */
export function countSentences(text: string): number {
  const tokens = [...text.matchAll(/\S+/g)].map(([token]) => token);
  let sentences = 0;
  let open = false;
  // Closing quotes and brackets right after a sentence's end belong to it: the rest of its token, or the next token.
  let closersFollow = false;
  tokens.forEach((token, index) => {
    if (closersFollow && CLOSERS.test(token)) {
      closersFollow = false;
      return;
    }
    closersFollow = false;
    open = true;
    let wordStart = 0;
    for (const mark of token.matchAll(/[.?!]+/g)) {
      const end = mark.index + mark[0].length;
      const after = token.charAt(end);
      if (after !== '' && !NON_WORD.includes(after)) continue;
      const next = after === '' ? tokens[index + 1] : token.slice(end);
      const run = mark[0];
      const word = token.slice(wordStart, mark.index);
      // "etc.)." ends one sentence, not two: marks after nothing but brackets and quotes repeat the end.
      if (wordStart > 0 && stripStart(word, NOT_WORD_START + NON_WORD) === '') continue;
      const ends = /[?!]/.test(run)
        ? true
        : run.length > 1
          ? next !== undefined && isUpper(next.charAt(0))
          : periodEndsSentence(word, next);
      wordStart = end;
      if (ends) {
        sentences++;
        const rest = token.slice(end);
        open = rest !== '' && !CLOSERS.test(rest);
        closersFollow = rest === '';
      }
    }
  });
  return sentences + (open ? 1 : 0);
}

function isUpper(text: string): boolean {
  return text === text.toUpperCase() && text !== text.toLowerCase();
}

function isLower(text: string): boolean {
  return text === text.toLowerCase() && text !== text.toUpperCase();
}

/**
 * franc's ISO 639-3 codes that have an ISO 639-1 code (individual languages map to their macrolanguage's code,
 * e.g. Standard Arabic `arb` to `ar`, Dari `prs` to `fa`). Scots maps to English: franc's Scots model wins on much
 * plain (especially lowercase) English, and langdetect, which IFEval used, has no Scots.
 */
const ISO_639_1 = new Map(
  Object.entries({
    afr: 'af', als: 'sq', amh: 'am', arb: 'ar', ayr: 'ay', azj: 'az', bam: 'bm', bel: 'be', ben: 'bn', bod: 'bo',
    bos: 'bs', bul: 'bg', cat: 'ca', ces: 'cs', ckb: 'ku', cmn: 'zh', dan: 'da', deu: 'de', ekk: 'et', ell: 'el',
    eng: 'en', epo: 'eo', ewe: 'ee', fin: 'fi', fra: 'fr', fuf: 'ff', fuv: 'ff', glg: 'gl', guj: 'gu', hat: 'ht',
    hau: 'ha', heb: 'he', hin: 'hi', hrv: 'hr', hun: 'hu', hye: 'hy', ibo: 'ig', iii: 'ii', ind: 'id', ita: 'it',
    jav: 'jv', jpn: 'ja', kan: 'kn', kat: 'ka', kaz: 'kk', khk: 'mn', khm: 'km', kin: 'rw', kir: 'ky', knc: 'kr',
    kng: 'kg', koi: 'kv', kor: 'ko', lao: 'lo', lin: 'ln', lit: 'lt', lug: 'lg', lvs: 'lv', mal: 'ml', mar: 'mr',
    mkd: 'mk', mya: 'my', ndo: 'ng', nld: 'nl', nno: 'nn', nob: 'nb', npi: 'ne', nya: 'ny', pan: 'pa', pbu: 'ps',
    pes: 'fa', plt: 'mg', pol: 'pl', por: 'pt', prs: 'fa', quy: 'qu', quz: 'qu', qug: 'qu', ron: 'ro', run: 'rn',
    rus: 'ru', sag: 'sg', sco: 'en', sin: 'si', slk: 'sk', slv: 'sl', sna: 'sn', som: 'so', sot: 'st', spa: 'es',
    src: 'sc', srp: 'sr', ssw: 'ss', sun: 'su', swe: 'sv', swh: 'sw', tam: 'ta', tat: 'tt', tel: 'te', tgk: 'tg',
    tgl: 'tl', tha: 'th', tir: 'ti', tsn: 'tn', tso: 'ts', tuk: 'tk', tur: 'tr', uig: 'ug', ukr: 'uk', urd: 'ur',
    uzn: 'uz', ven: 've', vie: 'vi', wol: 'wo', xho: 'xh', ydd: 'yi', yor: 'yo', zlm: 'ms', zul: 'zu', zyb: 'za',
  }),
);

/** The ISO 639-1 codes language:response_language accepts (all 30 of IFEval's among them). */
export const SUPPORTED_LANGUAGES: readonly string[] = [
  ...new Set([...ISO_639_1.values(), ...LANGDETECT_LANGUAGES.filter((code) => !code.includes('-'))]),
].sort();

/**
 * Whether `text` reads as `language`. Text with no letter langdetect can use counts as followed, as IFEval counts
 * a langdetect failure (so does text franc cannot place, for the languages only franc knows).
 */
function isLanguage(text: string, language: string): boolean {
  if (LANGDETECT_LANGUAGES.includes(language)) {
    const detected = detectLanguage(text);
    return detected === undefined || detected === language;
  }
  const code = franc(text);
  return code === 'und' || (ISO_639_1.get(code) ?? code) === language;
}

/** `[...]` on one line, counted left to right without the quadratic retries of the regex `\[.*?\]`. */
function countPlaceholders(text: string): number {
  let count = 0;
  let open = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === '[') open = true;
    else if (char === '\n') open = false;
    else if (char === ']' && open) {
      count++;
      open = false;
    }
  }
  return count;
}

/** Matches of `splitter\s?\d+`, the markers IFEval splits sections on. */
function countSections(text: string, splitter: string): number {
  let count = 0;
  let i = text.indexOf(splitter);
  while (i !== -1) {
    let j = i + splitter.length;
    if (/\s/.test(text.charAt(j))) j++;
    const digits = j;
    while (/\p{Nd}/u.test(text.charAt(j))) j++;
    const matched = j > digits;
    if (matched) count++;
    i = text.indexOf(splitter, matched ? j : i + 1);
  }
  return count;
}

/** `<<title>>`: per line, the reference regex spans the first `<<` to the last `>>` with a character between. */
function hasTitle(text: string): boolean {
  for (const line of text.split('\n')) {
    const start = line.indexOf('<<');
    const end = line.lastIndexOf('>>');
    if (start === -1 || end < start + 3) continue;
    if (stripEnd(stripStart(line.slice(start, end + 2), '<'), '>').trim() !== '') return true;
  }
  return false;
}

/** Lines starting (after indentation) with `-`, or with `*` followed by anything but `*` (so not **bold**). */
function countBullets(text: string): number {
  let count = 0;
  for (const line of text.split('\n')) {
    const item = line.trimStart();
    if (item.startsWith('-') || (item.startsWith('*') && item.length > 1 && item.charAt(1) !== '*')) count++;
  }
  return count;
}

/**
 * `*highlighted*` and `**highlighted**` with non-blank content, each counted (so bold counts once, via the double
 * form). Both regexes are linear: the starred runs exclude `*`, so retries never rescan a run.
 */
function countHighlights(text: string): number {
  let count = 0;
  for (const [match] of text.matchAll(/\*[^\n*]*\*/g)) if (match.slice(1, -1).trim() !== '') count++;
  for (const [match] of text.matchAll(/\*\*[^\n*]*\*\*/g)) if (match.slice(2, -2).trim() !== '') count++;
  return count;
}

/** Paragraphs split by `***`; blank ones are dropped at the ends and fail the check in the middle. */
function countStarParagraphs(text: string): number | undefined {
  const paragraphs = text.split(/\s?\*\*\*\s?/);
  let count = paragraphs.length;
  for (const [index, paragraph] of paragraphs.entries()) {
    if (paragraph.trim() !== '') continue;
    if (index !== 0 && index !== paragraphs.length - 1) return undefined;
    count--;
  }
  return count;
}

function nthParagraphFirstWord(response: string, kwargs: InstructionKwargs): boolean {
  const expected = numberArg(kwargs, 'num_paragraphs');
  const nth = numberArg(kwargs, 'nth_paragraph');
  if (!Number.isInteger(nth) || nth < 1 || nth > expected) {
    throw new ToolInputError('kwarg "nth_paragraph" must be an integer from 1 to num_paragraphs');
  }
  const firstWord = stringArg(kwargs, 'first_word').toLowerCase();
  const paragraphs = response.split('\n\n');
  const count = paragraphs.filter((p) => p.trim() !== '').length;
  if (nth > count) return false;
  // As in the reference, the nth paragraph is taken from the raw split, blank paragraphs included.
  const paragraph = (paragraphs[nth - 1] ?? '').trim();
  if (paragraph === '') return false;
  const space = paragraph.search(/\s/);
  const word = stripStart(stripStart(space === -1 ? paragraph : paragraph.slice(0, space), "'"), '"');
  const punctuation = word.search(/[.,?!'"]/);
  return count === expected && (punctuation === -1 ? word : word.slice(0, punctuation)).toLowerCase() === firstWord;
}

function twoResponses(response: string): boolean {
  const parts = response.split('******');
  const answers: string[] = [];
  for (const [index, part] of parts.entries()) {
    if (part.trim() !== '') answers.push(part.trim());
    else if (index !== 0 && index !== parts.length - 1) return false;
  }
  return answers.length === 2 && answers[0] !== answers[1];
}

function jsonFormat(response: string): boolean {
  let text = response.trim();
  // The reference removes these prefixes one after the other, not just the first that matches.
  for (const prefix of ['```json', '```Json', '```JSON', '```']) if (text.startsWith(prefix)) text = text.slice(prefix.length);
  if (text.endsWith('```')) text = text.slice(0, -3);
  try {
    JSON.parse(text.trim());
    return true;
  } catch {
    return false;
  }
}

function postscript(response: string, kwargs: InstructionKwargs): boolean {
  const marker = stringArg(kwargs, 'postscript_marker').trim();
  const text = response.toLowerCase();
  if (marker === 'P.P.S') return /p\.\s?p\.\s?s/.test(text);
  if (marker === 'P.S.') return /p\.\s?s\./.test(text);
  return text.includes(marker.toLowerCase());
}

function repeatPrompt(response: string, kwargs: InstructionKwargs, prompt: string): boolean {
  const given = kwargs.prompt_to_repeat;
  const target = (typeof given === 'string' && given.trim() !== '' ? given : prompt).trim().toLowerCase();
  if (target === '') throw new ToolInputError('needs kwarg "prompt_to_repeat" or a prompt');
  return response.trim().toLowerCase().startsWith(target);
}

function letterFrequency(response: string, kwargs: InstructionKwargs): boolean {
  const letter = stringArg(kwargs, 'letter').trim();
  if ([...letter].length !== 1) throw new ToolInputError('kwarg "letter" must be a single letter');
  return compare(countOccurrences(response.toLowerCase(), letter.toLowerCase()), kwargs, 'let_frequency', 'let_relation');
}

function responseLanguage(response: string, kwargs: InstructionKwargs): boolean {
  const language = stringArg(kwargs, 'language');
  if (!SUPPORTED_LANGUAGES.includes(language)) {
    throw new ToolInputError(`kwarg "language" must be an ISO 639-1 code among ${SUPPORTED_LANGUAGES.join(', ')}`);
  }
  return isLanguage(response, language);
}

function capitalWordFrequency(response: string, kwargs: InstructionKwargs): boolean {
  let count = 0;
  // Splitting at apostrophes counts "DON'T" twice, as NLTK's "DO" + "N'T" does.
  for (const [token] of response.matchAll(/[\p{L}\p{M}\p{N}_.\-]+/gu)) if (isUpper(token)) count++;
  return compare(count, kwargs, 'capital_frequency', 'capital_relation');
}

/** The checks that detect the response's language: the tool loads langdetect's profiles before running them. */
export const LANGUAGE_CHECKS: ReadonlySet<string> = new Set([
  'language:response_language',
  'change_case:english_capital',
  'change_case:english_lowercase',
]);

const CONSTRAINED_OPTIONS = ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'];

/** Every IFEval instruction id (instructions_registry.INSTRUCTION_DICT) and its check. */
export const INSTRUCTION_CHECKS: ReadonlyMap<string, InstructionCheck> = new Map<string, InstructionCheck>([
  [
    'keywords:existence',
    (response, kwargs) => {
      const text = response.toLowerCase();
      return stringListArg(kwargs, 'keywords').every((keyword) => text.includes(keyword.toLowerCase()));
    },
  ],
  [
    'keywords:frequency',
    (response, kwargs) => {
      const keyword = stringArg(kwargs, 'keyword').trim().toLowerCase();
      return compare(countOccurrences(response.toLowerCase(), keyword), kwargs, 'frequency', 'relation');
    },
  ],
  [
    'keywords:forbidden_words',
    (response, kwargs) => {
      const text = response.toLowerCase();
      return !stringListArg(kwargs, 'forbidden_words').some((word) => containsWord(text, word.toLowerCase()));
    },
  ],
  ['keywords:letter_frequency', letterFrequency],
  ['language:response_language', responseLanguage],
  [
    'length_constraints:number_sentences',
    (response, kwargs) => compare(countSentences(response), kwargs, 'num_sentences', 'relation'),
  ],
  [
    'length_constraints:number_paragraphs',
    (response, kwargs) => countStarParagraphs(response) === numberArg(kwargs, 'num_paragraphs'),
  ],
  ['length_constraints:number_words', (response, kwargs) => compare(countWords(response), kwargs, 'num_words', 'relation')],
  ['length_constraints:nth_paragraph_first_word', nthParagraphFirstWord],
  [
    'detectable_content:number_placeholders',
    (response, kwargs) => countPlaceholders(response) >= numberArg(kwargs, 'num_placeholders'),
  ],
  ['detectable_content:postscript', postscript],
  [
    'detectable_format:number_bullet_lists',
    (response, kwargs) => countBullets(response) === numberArg(kwargs, 'num_bullets'),
  ],
  [
    'detectable_format:constrained_response',
    (response) => {
      const text = response.trim();
      return CONSTRAINED_OPTIONS.some((option) => text.includes(option));
    },
  ],
  [
    'detectable_format:number_highlighted_sections',
    (response, kwargs) => countHighlights(response) >= numberArg(kwargs, 'num_highlights'),
  ],
  [
    'detectable_format:multiple_sections',
    (response, kwargs) =>
      countSections(response, stringArg(kwargs, 'section_spliter').trim()) >= numberArg(kwargs, 'num_sections'),
  ],
  ['detectable_format:json_format', jsonFormat],
  ['detectable_format:title', hasTitle],
  ['combination:two_responses', twoResponses],
  ['combination:repeat_prompt', repeatPrompt],
  [
    'startend:end_checker',
    (response, kwargs) => {
      const phrase = stringArg(kwargs, 'end_phrase').trim().toLowerCase();
      return stripEnd(stripStart(response.trim(), '"'), '"').toLowerCase().endsWith(phrase);
    },
  ],
  [
    'startend:quotation',
    (response) => {
      const text = response.trim();
      return text.length > 1 && text.startsWith('"') && text.endsWith('"');
    },
  ],
  ['change_case:capital_word_frequency', capitalWordFrequency],
  ['change_case:english_capital', (response) => isUpper(response) && isLanguage(response, 'en')],
  ['change_case:english_lowercase', (response) => isLower(response) && isLanguage(response, 'en')],
  ['punctuation:no_comma', (response) => !response.includes(',')],
]);
