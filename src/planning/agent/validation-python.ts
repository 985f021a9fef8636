import { pythonFunction } from '../../tools/python/index.ts';
import type { ScoringItem } from '../../tools/types.ts';
import { check, type Validation } from './validation.ts';

/** Per-call limits of agent-written Python verifiers, in validation and in use. */
export const PYTHON_VERIFIER_LIMITS = { time_limit_ms: 1_000, memory_mb: 512 };

/**
 * The checks of a Python verifier (`def score(prompt, response, reference)`), run by the `python`
 * tool in the process sandbox as it would run in use: its limits bound the time, so no thread is needed.
 */
export function validatePython(name: string, code: string, samples: ScoringItem[]): Promise<Validation> {
  return check(name, samples, async (probes) => {
    const outcomes = await pythonFunction.scoreBatch!(probes, { source: code, entry: 'score', ...PYTHON_VERIFIER_LIMITS });
    return outcomes.map((outcome) => {
      if (outcome instanceof Error) throw new Error(`the verifier failed: ${outcome.message}`);
      if (outcome.abstained) throw new Error('returned None');
      return outcome.score;
    });
  });
}
