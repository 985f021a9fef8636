import { ToolInputError, type ToolDefinition } from '../types.ts';
import { extractAnswer, lastMatch, stripThinking } from './answer.ts';
import { referenceTexts } from './reference.ts';
import { boundedCache } from '../../util/bounded-cache.ts';

/** The option letter a reference names: `B`, `(B)`, `B)`, `B. text`, `Answer: B`. */
function referenceLetter(reference: string): string | undefined {
  const m = /^\s*(?:answer\s*[:：]?\s*)?\(?([A-Za-z])(?:\)|\.|:|\s|$)/i.exec(reference);
  return m?.[1]?.toUpperCase();
}

/** Option letters A..last, where last is at least E and at least the gold letter (MMLU-Pro goes to J). */
function optionLetters(gold: string): string {
  const last = Math.max('E'.charCodeAt(0), gold.charCodeAt(0));
  let letters = '';
  for (let c = 'A'.charCodeAt(0); c <= last; c++) letters += String.fromCharCode(c);
  return letters;
}

/** The patterns of a stated choice among `letters`, by priority (see chosenLetter). */
function choicePatterns(letters: string): RegExp[] {
  return [
    new RegExp(`\\b(?:[Oo]ption|[Cc]hoice)[ \\t]*(?:is|:)[ \\t]*\\(?([${letters}])\\b`, 'g'),
    new RegExp(`^[ \\t]*(?:\\(([${letters}])\\)|([${letters}])(?:[).:]|[ \\t]*$))`, 'g'),
    new RegExp(`\\(([${letters}])\\)`, 'g'),
    new RegExp(`(?:^|[\\s\\[*])([${letters}])(?=$|[\\s.\\]:,*])(?! [a-z])`, 'g'),
  ];
}

/** Built once per set of letters (A-E nearly always), not per item. */
const letterPatterns = boundedCache<RegExp[]>(32);

/**
 * The letter the response chooses, by priority: a stated answer ("Answer: B", "\\boxed{B}", "the
 * answer is (B)"), "the correct option is B", a response that opens with its choice ("(A) is right
 * because..."), the last letter in parentheses, then the last standalone letter that does not start a
 * phrase (so the article in "A prime number..." is not taken for option A).
 */
function chosenLetter(response: string, letters: string): string | undefined {
  const text = stripThinking(response);
  const stated = extractAnswer(text);
  if (stated) {
    const letter = referenceLetter(stated.text.replace(/^\\text\{(.*)\}$/, '$1'));
    if (letter !== undefined && letters.includes(letter)) return letter;
  }
  for (const pattern of letterPatterns(letters, () => choicePatterns(letters))) {
    const m = lastMatch(pattern, text);
    const letter = (m?.[1] ?? m?.[2])?.toUpperCase();
    if (letter !== undefined) return letter;
  }
  return undefined;
}

export const choice: ToolDefinition = {
  name: 'choice',
  kind: 'verifier',
  description:
    'Multiple choice (A-E style, up to the gold letter): the option letter chosen in the response equals the ' +
    "reference's letter; 1 or 0.",
  needsReference: true,
  score(item) {
    const golds = referenceTexts(item.reference, 'choice').map(referenceLetter);
    const gold = golds.find((g) => g !== undefined);
    if (gold === undefined) throw new ToolInputError('choice needs a reference naming an option letter, e.g. "B" or "(B)"');
    const chosen = chosenLetter(item.response, optionLetters(gold));
    return { score: chosen !== undefined && golds.includes(chosen) ? 1 : 0, detail: { chosen: chosen ?? null, gold } };
  },
};
