import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { JsVerifier } from '../../sandbox/quickjs.ts';
import type { ScoringItem } from '../../tools/types.ts';
import { messageOf } from '../../util/errors.ts';
import { Semaphore } from '../../util/semaphore.ts';

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
/** How long a validation thread may take to start and load QuickJS. */
const START_MS = 60_000;

/** A wrong answer that always differs from the reference: a number moved, a letter shifted, text reversed. */
function corrupt(reference: string): string {
  const trimmed = reference.trim();
  const number = Number(trimmed);
  if (trimmed !== '' && Number.isFinite(number)) return String(number + 1);
  if (/^[A-Za-z]$/.test(trimmed)) return trimmed === 'Z' || trimmed === 'z' ? String.fromCharCode(trimmed.charCodeAt(0) - 1) : String.fromCharCode(trimmed.charCodeAt(0) + 1);
  const reversed = [...trimmed].reverse().join('');
  return reversed === trimmed ? `${trimmed} not` : reversed;
}

/** What a verifier is asked to score: the samples, then the probes built from them. */
type Probe = Pick<ScoringItem, 'prompt' | 'response' | 'reference'>;

/**
 * The checks, whatever the language: `scoreAll` scores every probe (throwing at the first failure);
 * each score must lie in [0, 1], and the reference must score above an empty and a corrupted response.
 */
export async function check(name: string, samples: ScoringItem[], scoreAll: (probes: Probe[]) => Promise<number[]>): Promise<Validation> {
  try {
    const withReference = samples.find((s) => typeof s.reference === 'string' && s.reference.trim() !== '');
    const probe = withReference ?? samples[0]!;
    const probes: Probe[] = samples.map((s) => ({ prompt: s.prompt, response: s.response, reference: s.reference }));
    probes.push({ prompt: probe.prompt, response: '', reference: probe.reference });
    const reference = withReference?.reference as string | undefined;
    if (reference !== undefined) {
      probes.push({ prompt: probe.prompt, response: reference, reference }, { prompt: probe.prompt, response: corrupt(reference), reference });
    }
    const values = await scoreAll(probes);
    const bad = values.find((value) => !(value >= 0 && value <= 1));
    if (bad !== undefined) throw new Error(`returned ${bad}, outside [0, 1]`);
    const scores: NonNullable<Validation['scores']> = { empty: values[samples.length]!, samples: values.slice(0, samples.length) };
    if (reference !== undefined) {
      [scores.reference, scores.corrupted] = [values[samples.length + 1]!, values[samples.length + 2]!];
      if (!(scores.reference > scores.empty && scores.reference > scores.corrupted)) {
        return { name, accepted: false, reason: 'does not score the reference above an empty and a corrupted response', scores };
      }
    }
    return { name, accepted: true, reason: 'passed validation', scores };
  } catch (error) {
    return { name, accepted: false, reason: messageOf(error) };
  }
}

/** The checks of a JavaScript verifier, in QuickJS (run on the validation thread). */
export async function validate(name: string, code: string, samples: ScoringItem[]): Promise<Validation> {
  let verifier: JsVerifier | undefined;
  try {
    return await check(name, samples, async (probes) => {
      verifier = await JsVerifier.compile(code);
      return probes.map((p) => {
        const value = verifier!.score(p.prompt, p.response, p.reference);
        // Stop at the first value out of range, as the verifier would be stopped in use.
        if (!(value >= 0 && value <= 1)) throw new Error(`returned ${value}, outside [0, 1]`);
        return value;
      });
    });
  } finally {
    verifier?.dispose();
  }
}


/**
 * Validation threads at a time: a plan of many verifiers would otherwise start a thread and load
 * QuickJS for each at once, and on a busy machine none of them would start in time.
 */
const validationThreads = new Semaphore(availableParallelism());

/**
 * Runs `validate` on a fresh thread, stopped after VALIDATION_MS whatever the verifier is doing. The
 * time counts from when the thread is ready: starting a thread and loading QuickJS can take seconds on
 * a busy machine, and that must not reject a good verifier.
 */
export async function validateIsolated(name: string, code: string, samples: ScoringItem[]): Promise<Validation> {
  const file = new URL(`./validation-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  await validationThreads.acquire();
  return new Promise((resolve) => {
    const worker = new Worker(file, { workerData: { name, code, samples }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    // A thread that would not stop must not keep the service from exiting.
    worker.unref();
    let timer: ReturnType<typeof setTimeout>;
    let finished = false;
    const done = (validation: Validation) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      validationThreads.release();
      resolve(validation);
      void worker.terminate();
    };
    const stopAfter = (ms: number, reason: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => done({ name, accepted: false, reason }), ms);
    };
    stopAfter(START_MS, `the validation thread did not start within ${START_MS} ms`);
    worker.on('message', (message: 'ready' | Validation) => {
      if (message === 'ready') stopAfter(VALIDATION_MS, `validation took longer than ${VALIDATION_MS} ms and was stopped`);
      else done(message);
    });
    worker.once('error', (error) => done({ name, accepted: false, reason: `validation failed: ${messageOf(error)}` }));
    worker.once('exit', (code) => done({ name, accepted: false, reason: `validation stopped (exit ${code})` }));
  });
}
