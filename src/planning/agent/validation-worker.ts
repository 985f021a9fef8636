// The thread validateIsolated starts: says when it is ready (QuickJS loaded), then answers one
// verifier's validation as one message.
import { parentPort, workerData } from 'node:worker_threads';
import { JsVerifier } from '../../sandbox/quickjs.ts';
import type { ScoringItem } from '../../tools/types.ts';
import { validate } from './validation.ts';

const { name, code, samples } = workerData as { name: string; code: string; samples: ScoringItem[] };
(await JsVerifier.compile('function score() { return 0; }')).dispose();
parentPort!.postMessage('ready');
parentPort!.postMessage(await validate(name, code, samples));
