import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { JsVerifier } from '../../sandbox/quickjs.ts';
import type { ScoringItem } from '../../tools/types.ts';
import { messageOf } from '../../util/errors.ts';

/**
 * Validation of an agent-written verifier before it may score anything: it must compile, run on the
 * samples, return numbers in [0, 1], and score the reference above an empty and a corrupted response.
 * It runs on a thread of its own that is stopped outright past a deadline: QuickJS's own deadline
 * cannot interrupt everything (a huge BigInt), and planning must not stall the service.
 */

export interface Validation {
  name: string;
  accepted: boolean;
  reason: string;
  scores?: { reference?: number; empty: number; corrupted?: number; samples: number[] };
}

const VALIDATION_MS = 5_000;

/** A wrong answer that always differs from the reference: a number moved, a letter shifted, text reversed. */
function corrupt(reference: string): string {
  const trimmed = reference.trim();
  const number = Number(trimmed);
  if (trimmed !== '' && Number.isFinite(number)) return String(number + 1);
  if (/^[A-Za-z]$/.test(trimmed)) return trimmed === 'Z' || trimmed === 'z' ? String.fromCharCode(trimmed.charCodeAt(0) - 1) : String.fromCharCode(trimmed.charCodeAt(0) + 1);
  const reversed = [...trimmed].reverse().join('');
  return reversed === trimmed ? `${trimmed} not` : reversed;
}

/** The checks themselves (run on the validation thread). */
export async function validate(name: string, code: string, samples: ScoringItem[]): Promise<Validation> {
  let verifier: JsVerifier | undefined;
  try {
    verifier = await JsVerifier.compile(code);
    const check = (value: number) => {
      if (value < 0 || value > 1) throw new Error(`returned ${value}, outside [0, 1]`);
      return value;
    };
    const scores: NonNullable<Validation['scores']> = { empty: 0, samples: [] };
    for (const item of samples) scores.samples.push(check(verifier.score(item.prompt, item.response, item.reference)));
    const withReference = samples.find((s) => typeof s.reference === 'string' && s.reference.trim() !== '');
    const probe = withReference ?? samples[0]!;
    scores.empty = check(verifier.score(probe.prompt, '', probe.reference));
    if (withReference) {
      const reference = withReference.reference as string;
      scores.reference = check(verifier.score(probe.prompt, reference, reference));
      scores.corrupted = check(verifier.score(probe.prompt, corrupt(reference), reference));
      if (!(scores.reference > scores.empty && scores.reference > scores.corrupted)) {
        return { name, accepted: false, reason: 'does not score the reference above an empty and a corrupted response', scores };
      }
    }
    return { name, accepted: true, reason: 'passed validation', scores };
  } catch (error) {
    return { name, accepted: false, reason: messageOf(error) };
  } finally {
    verifier?.dispose();
  }
}

/** Runs `validate` on a fresh thread, stopped after VALIDATION_MS whatever the verifier is doing. */
export function validateIsolated(name: string, code: string, samples: ScoringItem[]): Promise<Validation> {
  const file = new URL(`./validation-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  return new Promise((resolve) => {
    const worker = new Worker(file, { workerData: { name, code, samples }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    const done = (validation: Validation) => {
      clearTimeout(timer);
      resolve(validation);
      void worker.terminate();
    };
    const timer = setTimeout(() => done({ name, accepted: false, reason: `validation took longer than ${VALIDATION_MS} ms and was stopped` }), VALIDATION_MS);
    worker.once('message', (validation: Validation) => done(validation));
    worker.once('error', (error) => done({ name, accepted: false, reason: `validation failed: ${messageOf(error)}` }));
    worker.once('exit', (code) => done({ name, accepted: false, reason: `validation stopped (exit ${code})` }));
  });
}
