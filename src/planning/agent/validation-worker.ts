// The thread validateIsolated starts: one verifier's validation, answered as one message.
import { parentPort, workerData } from 'node:worker_threads';
import type { ScoringItem } from '../../tools/types.ts';
import { validate } from './validation.ts';

const { name, code, samples } = workerData as { name: string; code: string; samples: ScoringItem[] };
parentPort!.postMessage(await validate(name, code, samples));
