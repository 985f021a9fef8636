import type { ToolDefinition, ToolParams } from '../types.ts';

function numberParam(params: ToolParams, name: string, fallback: number): number {
  const value = params[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * `<think>reasoning</think>answer`: exactly one well-formed thinking block first, then a non-empty
 * answer. Chat templates that open the block in the prompt (the response starts inside it) are
 * accepted when `opened_in_prompt` is true.
 */
export const thinkFormat: ToolDefinition = {
  name: 'think_format',
  kind: 'verifier',
  description: 'Reasoning format: one <think>...</think> block at the start, followed by a non-empty answer; 1 or 0.',
  needsReference: false,
  formatOnly: true,
  params: {
    type: 'object',
    properties: {
      opened_in_prompt: { type: 'boolean', default: false, description: 'the chat template already wrote <think>' },
    },
  },
  score(item, params) {
    const text = params.opened_in_prompt === true ? `<think>${item.response}` : item.response;
    const opens = text.split('<think>').length - 1;
    const closes = text.split('</think>').length - 1;
    const start = text.trimStart().startsWith('<think>');
    const answer = text.slice(text.lastIndexOf('</think>') + '</think>'.length).trim();
    const ok = opens === 1 && closes === 1 && start && text.indexOf('<think>') < text.indexOf('</think>') && answer !== '';
    const reason = ok
      ? 'well-formed'
      : opens !== 1 || closes !== 1
        ? `expected one <think> and one </think>, found ${opens} and ${closes}`
        : !start
          ? 'text before <think>'
          : 'no answer after </think>';
    return { score: ok ? 1 : 0, detail: { reason } };
  },
};

function measureLength(text: string, unit: string): number {
  if (unit === 'chars') {
    let count = 0;
    for (const _ of text) count++; // code points, without materializing an array
    return count;
  }
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

/**
 * DAPO's soft overlong punishment (Yu et al., 2025) mapped to [0, 1]: full score up to
 * `max_length - buffer`, then a linear ramp down to 0 at `max_length`, 0 beyond. Responses shorter
 * than `min_length` (default 1, so an empty answer) score 0.
 */
export const lengthPenalty: ToolDefinition = {
  name: 'length_penalty',
  kind: 'verifier',
  description:
    'Length sanity: 1 within the budget, a linear penalty over the last `buffer` units before `max_length` ' +
    '(DAPO soft overlong punishment), 0 beyond it or when shorter than `min_length`.',
  needsReference: false,
  formatOnly: true,
  params: {
    type: 'object',
    properties: {
      max_length: { type: 'number', default: 4096 },
      buffer: { type: 'number', default: 1024 },
      min_length: { type: 'number', default: 1 },
      unit: { type: 'string', enum: ['words', 'chars'], default: 'words' },
    },
  },
  score(item, params) {
    const unit = params.unit === 'chars' ? 'chars' : 'words';
    const max = numberParam(params, 'max_length', 4096);
    const buffer = Math.min(Math.max(numberParam(params, 'buffer', 1024), 0), max);
    const min = numberParam(params, 'min_length', 1);
    const length = measureLength(item.response, unit);
    const safe = max - buffer;
    const penalty = length > max ? -1 : length > safe ? (safe - length) / buffer : 0;
    const score = length < min ? 0 : 1 + penalty;
    return { score, detail: { length, unit, penalty, too_short: length < min } };
  },
};

/** 1 minus the share of word n-grams that repeat an earlier one: loops and stutter score low, and an empty response 0. */
export const repetitionPenalty: ToolDefinition = {
  name: 'repetition_penalty',
  kind: 'verifier',
  description:
    'Repetition: 1 minus the fraction of repeated word n-grams (n=4 by default); 1 for text without repeats, 0 when empty.',
  needsReference: false,
  formatOnly: true,
  params: { type: 'object', properties: { n: { type: 'number', default: 4 } } },
  score(item, params) {
    const n = Math.max(1, Math.floor(numberParam(params, 'n', 4)));
    const words = item.response.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return { score: 0, detail: { ngrams: 0, repeated: 0, empty: true } };
    const total = words.length - n + 1;
    if (total <= 0) return { score: 1, detail: { ngrams: 0, repeated: 0 } };
    const seen = new Set<string>();
    let repeated = 0;
    for (let i = 0; i < total; i++) {
      const gram = words.slice(i, i + n).join(' ');
      if (seen.has(gram)) repeated++;
      else seen.add(gram);
    }
    return { score: 1 - repeated / total, detail: { ngrams: total, repeated } };
  },
};
