import type { Reference, ScoringItem } from '../tools/types.ts';
import { ANSWER_KEYS } from '../tools/verifiers/reference.ts';
import { boundedCache } from '../util/bounded-cache.ts';

/**
 * The task signature: a cheap, deterministic key for the kind of a query, from the `task` hint, the
 * shape of the reference and cues in the prompt. Toolsets are planned and stored per signature, so
 * the same kind of query must always give the same key, and it must not depend on the response.
 *
 * Form: `domain.source.reference[+cue...]`, e.g. `math.gsm8k.gsm8k_hash`, `choice.any.letter`,
 * `dialogue.any.none+think`. Only [a-z0-9_.+-], so it fits in a URL path.
 */

export type Domain =
  | 'math'
  | 'code'
  | 'choice'
  | 'qa'
  | 'translation'
  | 'summarization'
  | 'instructions'
  | 'json'
  | 'text'
  | 'dialogue';

export type ReferenceShape =
  | 'none'
  | 'gsm8k_hash'
  | 'boxed'
  | 'number'
  | 'latex'
  | 'letter'
  | 'test_cases'
  | 'json_schema'
  | 'instructions'
  | 'short_text'
  | 'long_text'
  | 'structured';

export interface SignatureParts {
  domain: Domain;
  source: string;
  reference: ReferenceShape;
  cues: string[];
}

/**
 * Dataset names and what they are, as trainers pass them (verl `data_source`, dataset ids). Each
 * pattern must match the start of one word of the hint (`openai/gsm8k` -> `openai`, `gsm8k`), so
 * `my_trace_eval` is not `race`. Earlier entries win: `mmlu_high_school_mathematics` is multiple choice.
 */
const HINT_DOMAINS: [RegExp, Domain][] = [
  [/^(mmlu|gpqa|arc(_|$)|ai2_arc|hellaswag|commonsense|openbookqa|race(_|$)|piqa|sciq|choice|medmcqa|truthfulqa)/, 'choice'],
  [/^(ifeval|ifbench|instruction)/, 'instructions'],
  [/^(gsm8k|math|aime|amc|numina|deepscaler|olympiad|minerva|theorem|dapo|orz|competition_math)/, 'math'],
  [/^(code|apps(_|$)|taco(_|$)|humaneval|mbpp|leetcode|livecodebench|codeforces|primeintellect|kodcode)/, 'code'],
  [/^(wmt|translat|flores|iwslt|opus)/, 'translation'],
  [/^(cnn|dailymail|xsum|summar|samsum|multi_news|billsum)/, 'summarization'],
  [/^(squad|triviaqa|natural_questions|nq(_|$)|nq_open|hotpot|searchr1|popqa)/, 'qa'],
];

function hintDomain(task: string | undefined): Domain | undefined {
  if (!task) return undefined;
  const words = task.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  // Also the words joined back (`natural_questions`, `ai2_arc`), for names that span a separator.
  const joined = words.map((_, i) => words.slice(i).join('_'));
  return HINT_DOMAINS.find(([pattern]) => joined.some((w) => pattern.test(w)))?.[1];
}

/** Prompt cues, looked for only in the head and tail of long prompts to keep this cheap. */
const PROMPT_CUES: [RegExp, Domain][] = [
  [/\btranslat(e|ion)\b/i, 'translation'],
  [/\bsummar(y|ize|ise|ization)\b|\btl;?dr\b/i, 'summarization'],
  [/^[ \t]*\(?[A-D][).:][ \t]+\S[^\n]*\n[ \t]*\(?[B-E][).:][ \t]+\S/m, 'choice'],
  [/```|\bwrite (a|an) (python|c\+\+|java|javascript|function|program)\b|\bstdin\b/i, 'code'],
  [/\\boxed|\\frac|\bsolve\b|\bcompute\b|\bhow many\b|\bequation\b/i, 'math'],
];

const CUE_WINDOW = 4096;

function cueText(text: string): string {
  return text.length <= 2 * CUE_WINDOW ? text : text.slice(0, CUE_WINDOW) + '\n' + text.slice(-CUE_WINDOW);
}

function sourceOf(task: string | undefined): string {
  if (!task) return 'any';
  const last = task.trim().toLowerCase().split('/').filter(Boolean).pop() ?? '';
  const source = last.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return source || 'any';
}

function parsedJson(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function isTestCases(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return ['inputs', 'outputs', 'test', 'test_list', 'entry_point', 'fn_name', 'test_cases'].some((k) => keys.includes(k));
}

/** What a structured reference is: test cases, a JSON schema, IFEval instructions, or other data. */
function objectShape(value: object): ReferenceShape {
  if (isTestCases(value)) return 'test_cases';
  if ('instruction_id_list' in value) return 'instructions';
  if ('$schema' in value || ('type' in value && ('properties' in value || 'items' in value))) return 'json_schema';
  // {"answer": 42}: the shape of the answer the tools will read from it.
  const answer = ANSWER_KEYS.map((key) => (value as Record<string, unknown>)[key]).find((v) => typeof v === 'string' || typeof v === 'number');
  return answer === undefined ? 'structured' : referenceShape(String(answer));
}

/** Shapes of text references up to this length are kept: a batch repeats each reference (one per sample of a prompt). */
const CACHED_REFERENCE_CHARS = 4096;
const shapeByText = boundedCache<ReferenceShape>(4096);

export function referenceShape(reference: Reference | undefined): ReferenceShape {
  if (reference === undefined || reference === null) return 'none';
  if (Array.isArray(reference)) return reference.length === 0 ? 'none' : referenceShape(reference[0]);
  if (typeof reference === 'object') return objectShape(reference);
  return reference.length <= CACHED_REFERENCE_CHARS ? shapeByText(reference, () => textShape(reference)) : textShape(reference);
}

function textShape(reference: string): ReferenceShape {
  const text = reference.trim();
  if (text === '') return 'none';
  if (/####\s*\S/.test(text)) return 'gsm8k_hash';
  if (/\\boxed|\\fbox/.test(text)) return 'boxed';
  if (text.length > 2 && isTestCases(parsedJson(text))) return 'test_cases';
  if (text.length > 200) return 'long_text';
  if (/^-?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?%?$/i.test(text)) return 'number';
  if (/^\(?[A-J]\)?\.?$/.test(text)) return 'letter';
  if (/\\[a-zA-Z]+|\^|_\{|^\$.*\$$/.test(text)) return 'latex';
  const words = text.split(/\s+/).length;
  return words <= 8 && text.length <= 80 ? 'short_text' : 'long_text';
}

function domainOf(hint: Domain | undefined, shape: ReferenceShape, cue: Domain | undefined): Domain {
  // Shapes that say the kind by themselves, whatever the dataset's name suggests.
  if (shape === 'test_cases') return 'code';
  if (shape === 'instructions') return 'instructions';
  if (shape === 'json_schema') return 'json';
  if (shape === 'letter') return 'choice';
  if (hint) return hint;
  if (shape === 'gsm8k_hash' || shape === 'boxed') return 'math';
  if (shape === 'none') return cue === 'code' ? 'code' : 'dialogue';
  if (cue) return cue;
  if (shape === 'number' || shape === 'latex') return 'math';
  return shape === 'short_text' ? 'qa' : 'text';
}

interface PromptCues {
  cue: Domain | undefined;
  think: string[];
}

/**
 * Cues by the text they are read from. Requests repeat prompts (a GRPO group's samples often come as
 * one request each, from OpenRLHF and slime), and the cue patterns are the costly part of a signature.
 */
const cuesByText = boundedCache<PromptCues>(4096);

function promptCues(prompt: string): PromptCues {
  const text = cueText(prompt);
  return cuesByText(text, () => ({ cue: PROMPT_CUES.find(([re]) => re.test(text))?.[1], think: thinkCues(text) }));
}

/** What a `task` hint says: few distinct hints come in, each many times. */
const hintByTask = boundedCache<{ domain: Domain | undefined; source: string }>(1024);

function signatureParts(item: ScoringItem): SignatureParts {
  const cues = promptCues(item.prompt);
  // IFEval data ships its instructions as metadata beside a missing reference.
  const shape = item.metadata && 'instruction_id_list' in item.metadata ? 'instructions' : referenceShape(item.reference);
  const hint = hintByTask(item.task ?? '', () => ({ domain: hintDomain(item.task), source: sourceOf(item.task) }));
  return { domain: domainOf(hint.domain, shape, cues.cue), source: hint.source, reference: shape, cues: cues.think };
}

/**
 * `think` when the prompt asks for <think> blocks; `think_open` when the chat template already opened
 * one (R1- and Qwen3-style prompts end in `<think>`), so the response starts inside it.
 */
function thinkCues(prompt: string): string[] {
  if (/<think>\s*$/.test(prompt)) return ['think_open'];
  return /<think>|<\/think>/.test(prompt) ? ['think'] : [];
}

function formatSignature(parts: SignatureParts): string {
  return [`${parts.domain}.${parts.source}.${parts.reference}`, ...parts.cues].join('+');
}

export function taskSignature(item: ScoringItem): string {
  return formatSignature(signatureParts(item));
}

const SIGNATURE = /^([a-z]+)\.([a-z0-9_]+)\.([a-z0-9_]+)((?:\+[a-z0-9_]+)*)$/;

/** Reads a signature back into its parts; undefined when the text is not one. */
export function parseSignature(signature: string): SignatureParts | undefined {
  const m = SIGNATURE.exec(signature);
  if (!m) return undefined;
  return {
    domain: m[1] as Domain,
    source: m[2]!,
    reference: m[3] as ReferenceShape,
    cues: m[4] ? m[4].slice(1).split('+') : [],
  };
}
