/**
 * LaTeX answer normalization before comparison: spacing and sizing commands, fraction variants,
 * `\text{}` and units, degrees, percent, currency, thousands separators and decimal commas, relation
 * symbols in one spelling. What is left is meaning-bearing LaTeX.
 */

/** Answers longer than this are compared as written text only: no real answer is, and the rules stay cheap. */
export const MAX_ANSWER_CHARS = 1000;

const FUNCTION_WORDS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
  'log', 'ln', 'exp', 'sqrt', 'pi', 'max', 'min', 'mod', 'gcd', 'lcm',
]);

/** Names of functions and constants written without a backslash: math, not words or units. */
export function isFunctionWord(word: string): boolean {
  return FUNCTION_WORDS.has(word.toLowerCase());
}

/** Whole words after a number that are units or nouns (`12 cm`, `5 apples`), not math (`3 pi`). */
const TRAILING_UNITS = /([\d}])\s*((?:\b[a-zA-Z]{2,}\b(?:\s*\^\s*\{?[23]\}?)?\s*)+)$/;

const UNICODE: [RegExp, string][] = [
  [/−/g, '-'],
  [/×/g, '\\times '],
  [/÷/g, '/'],
  [/≤/g, '<='],
  [/≥/g, '>='],
  [/≠/g, '!='],
  [/∞/g, '\\infty '],
  [/π/g, '\\pi '],
  [/√/g, '\\sqrt'],
];

const TEXT_COMMAND = /\\(?:text|textbf|textit|textnormal|textrm|texttt|mathrm|mathit|mathbf|mathsf|mbox|hbox|operatorname)\s*\{([^{}]*)\}/g;

/** Spelling of relations: `<=`, `>=`, `!=`, and `\approx`, `\in` kept as commands. */
const RELATIONS: [RegExp, string][] = [
  [/\\(?:leqslant|leq|le)(?![a-zA-Z])/g, '<='],
  [/\\(?:geqslant|geq|ge)(?![a-zA-Z])/g, '>='],
  [/\\(?:neq|ne)(?![a-zA-Z])/g, '!='],
  [/\\lt(?![a-zA-Z])/g, '<'],
  [/\\gt(?![a-zA-Z])/g, '>'],
  [/=>/g, '>='],
  [/=</g, '<='],
];

export function normalizeLatex(raw: string): string {
  let s = raw.trim();
  if (s.length > MAX_ANSWER_CHARS) return s;
  for (const [pattern, replacement] of UNICODE) s = s.replace(pattern, replacement);
  // Text that was escaped twice (`\\\\frac`): a row break is never followed by a letter.
  s = s.replace(/\\\\(?=[a-zA-Z])/g, '\\');
  // Thousands separators written for LaTeX: `11,\! 111`, `7{,}425`.
  s = s.replace(/(\d)\s*(?:,\\!|\{,\s*\})\s*(?=\d{3})/g, '$1');
  s = s.replace(/\\left\s*\.|\\right\s*\./g, '');
  s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])/g, '');
  s = s.replace(/\\q?quad|\\(?:displaystyle|textstyle)(?![a-zA-Z])|\\[!,;: ]|~/g, ' ');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
  s = s.replace(/\\lbrace/g, '\\{').replace(/\\rbrace/g, '\\}').replace(/\\lbrack/g, '[').replace(/\\rbrack/g, ']');
  for (let pass = 0; pass < 2; pass++) s = s.replace(TEXT_COMMAND, ' $1 ');
  for (const [pattern, replacement] of RELATIONS) s = s.replace(pattern, replacement);
  // Degrees: inside a trig function they are a unit of angle (`\\cos 60^\\circ` is 1/2); elsewhere
  // they only label the answer (`90^\\circ` is 90).
  const degree = /\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree/g;
  s = s.replace(degree, /\\(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])/.test(s) ? '\\cdot\\frac{\\pi}{180}' : '');
  s = s.replace(/\\%|%|\b(?:percentage|percent|pct)\b/g, '');
  s = s.replace(/\\\$|\$|€|£|¥|\\euro/g, '');
  // Units after a number or a fraction: `12 cm`, `\frac{1}{3} meters`, `15 cm^2`.
  const units = TRAILING_UNITS.exec(s);
  if (units && !(units[2]!.match(/[a-zA-Z]{2,}/g) ?? []).some(isFunctionWord)) s = s.slice(0, units.index + 1);
  s = s.replace(/\+\s*\\infty/g, '\\infty');
  // Mixed numbers, as MATH writes them: `2\frac{1}{4}` is 9/4, not 2 times 1/4.
  s = s.replace(/(^|[\s,(])(-?)(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}(?=$|[\s,)])/g, (_m, lead, sign, whole, p, q) => {
    return `${lead}${sign}\\frac{${BigInt(whole) * BigInt(q) + BigInt(p)}}{${q}}`;
  });
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/[.,;\s]+$/, '');
  return s;
}

/**
 * `7,425,000`, `1,000.99` and `1 234`: commas or spaces between groups of three digits (not `0,111`,
 * a decimal comma).
 */
export function dropThousands(text: string): string {
  const t = text.trim();
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t) && !/^-?0,/.test(t)) return t.replace(/,/g, '');
  return /^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(t) ? t.replace(/ /g, '') : text;
}

/**
 * A number written in plain text, in the form a computer reads: thousands separators dropped
 * (`7,425,000`, `1 000`), decimal commas made points (`1000,99`, `0,111`). Anything else is trimmed only.
 */
export function plainNumber(text: string): string {
  const t = dropThousands(withoutGluedUnit(text)).trim();
  return /^-?\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
}

/** Units written against a number in prose: `48g`, `12kg`, `3.5km`, `60mph` (not `2x`: letters that are no unit stay). */
const GLUED_UNITS = new Set([
  'mg', 'g', 'kg', 'km', 'cm', 'mm', 'm', 'ml', 'l', 's', 'sec', 'min', 'mins', 'h', 'hr', 'hrs', 'lb', 'lbs', 'oz', 'ft',
  'mph', 'kph', 'kmh', 'km/h', 'm/s',
]);

/** The number without a unit glued to it; the scan from the end keeps this linear on a million digits. */
function withoutGluedUnit(text: string): string {
  let start = text.length;
  while (start > 0 && /[a-zA-Z/]/.test(text.charAt(start - 1))) start--;
  if (start === text.length || !GLUED_UNITS.has(text.slice(start).toLowerCase())) return text;
  const number = text.slice(0, start).trimEnd();
  return /^-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)$/.test(number) ? number : text;
}
