/**
 * Tokenizers of sacrebleu 2.6 (`13a`, `none`, `intl`, `char`, `zh`), reimplemented so that BLEU computed
 * here equals sacrebleu's. Each takes one segment and returns its tokens joined by single spaces.
 */

export type TokenizerName = '13a' | 'none' | 'intl' | 'char' | 'zh';

export const TOKENIZER_NAMES: readonly TokenizerName[] = ['13a', 'none', 'intl', 'char', 'zh'];

/** Python's `str.isspace()` for one UTF-16 unit (every such character is in the BMP). */
function isPyWhitespace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * Python's `str.split()`: runs of whitespace separate, none at either end. JavaScript's `\s` differs
 * (it has U+FEFF, lacks U+001C–U+001F and U+0085), and the metrics must split exactly as sacrebleu.
 */
export function splitWhitespace(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (isPyWhitespace(text.charCodeAt(i))) {
      if (start >= 0) {
        words.push(text.slice(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) words.push(text.slice(start));
  return words;
}

/** Python's `str.rstrip()` (a loop, not `/\s+$/`, which is quadratic on long inner runs of spaces). */
export function rstripWhitespace(text: string): string {
  let end = text.length;
  while (end > 0 && isPyWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

function stripWhitespace(text: string): string {
  let start = 0;
  while (start < text.length && isPyWhitespace(text.charCodeAt(start))) start++;
  return rstripWhitespace(text.slice(start));
}

// Rules of sacrebleu's TokenizerRegexp (mteval-v13a), shared by `13a` and `zh`. The `u` flag makes
// `[^0-9]` match whole code points as Python's `re` does.
const REGEXP_RULES: readonly [RegExp, string][] = [
  // ASCII punctuation and symbols except ' , - . (these are handled below or kept inside words)
  [/([\x20-\x26\x28-\x2b\x2f\x3a-\x40\x5b-\x60\x7b-\x7e])/gu, ' $1 '],
  // period and comma, unless preceded by a digit
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // period and comma, unless followed by a digit
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // dash after a digit
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** Applies the substitutions in order, then normalizes whitespace to single spaces. */
function substituteAll(line: string, rules: readonly [RegExp, string][]): string {
  let out = line;
  for (const [re, replacement] of rules) out = out.replace(re, replacement);
  return splitWhitespace(out).join(' ');
}

/** sacrebleu's tokenizer_13a: drops `<skipped>`, joins hyphenated line breaks, unescapes four XML entities. */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    // sequential, as sacrebleu: "&amp;lt;" becomes "<"
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  return substituteAll(` ${text} `, REGEXP_RULES);
}

// Rules of sacrebleu's tokenizer_intl (mteval-v14 international tokenization).
const INTL_RULES: readonly [RegExp, string][] = [
  // punctuation preceded by a non-digit
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  // punctuation followed by a non-digit
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  // every symbol
  [/(\p{S})/gu, ' $1 '],
];

/** sacrebleu's tokenizer_char: every code point (whitespace included) becomes a token. */
function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/**
 * The character ranges sacrebleu's tokenizer_zh isolates. Two of its ranges are written with five hex
 * digits ('\u20000', '\u2f800'), which Python reads as a four-digit escape followed by a digit; compared
 * as strings they cover U+2001–U+2A6D and U+2F81–U+2FA1 (so also general punctuation such as '—'),
 * and this is what sacrebleu's scores reflect. Supplementary-plane ideographs are never isolated.
 */
const ZH_CHARS =
  /[\u3400-\u4db5\u4e00-\u9fbb\uf900-\ufa2d\ufa30-\ufa6a\ufa70-\ufad9\u2001-\u2a6d\u2f81-\u2fa1\uff00-\uffef\u2e80-\u2eff\u3000-\u303f\u31c0-\u31ef\u2f00-\u2fdf\u2ff0-\u2fff\u3100-\u312f\u31a0-\u31bf\ufe10-\ufe1f\ufe30-\ufe4f\u2600-\u26ff\u2700-\u27bf\u3200-\u32ff\u3300-\u33ff]/gu;

/**
 * sacrebleu's tokenizer_zh: spaces around each Chinese character, then the 13a regular expressions.
 * As in sacrebleu, there is no entity unescaping and no padding with spaces (unlike `13a`).
 */
function tokenizeZh(line: string): string {
  return substituteAll(stripWhitespace(line).replace(ZH_CHARS, ' $& '), REGEXP_RULES);
}

export const TOKENIZERS: Readonly<Record<TokenizerName, (line: string) => string>> = {
  '13a': tokenize13a,
  none: (line) => line,
  intl: (line) => substituteAll(line, INTL_RULES),
  char: tokenizeChar,
  zh: tokenizeZh,
};
