import { ToolInputError, type Reference } from '../types.ts';

/** Keys under which a structured reference carries its answer. */
export const ANSWER_KEYS = ['answer', 'ground_truth', 'target', 'label'] as const;

/**
 * The acceptable answers in a reference: a string, a list of strings, or an object carrying one under
 * a common key (`answer`, `ground_truth`, `target`, `label`). Throws when there is none.
 */
export function referenceTexts(reference: Reference | undefined, tool: string): string[] {
  if (typeof reference === 'string') return [reference];
  if (Array.isArray(reference)) {
    const texts = reference.filter((r): r is string => typeof r === 'string');
    if (texts.length > 0) return texts;
  } else if (reference !== undefined && reference !== null) {
    for (const key of ANSWER_KEYS) {
      const value = reference[key];
      if (typeof value === 'string' || typeof value === 'number') return [String(value)];
      if (Array.isArray(value)) return referenceTexts(value as string[], tool);
    }
  }
  throw new ToolInputError(`${tool} needs a reference answer (a string, a list of strings, or {"answer": ...})`);
}
