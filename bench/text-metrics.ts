/**
 * Sentence-level BLEU, chrF and ROUGE-L: sentences per second on 1,000 sentence pairs, single core,
 * in-process. The baseline, measured in the same run on the same pairs, is sacrebleu (and rouge-score)
 * in Python when the interpreter named by RLAR_BENCH_PYTHON (default python3) has them installed;
 * otherwise only our rates are printed.
 *
 * Run: node bench/text-metrics.ts   (optionally RLAR_BENCH_PYTHON=/path/to/venv/bin/python)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sentenceBleu } from '../src/tools/verifiers/text/bleu.ts';
import { sentenceChrf } from '../src/tools/verifiers/text/chrf.ts';
import { rouge } from '../src/tools/verifiers/text/rouge.ts';

const PAIRS = 1000;
const ROUNDS = 5;

interface Vector {
  hyp: string;
  refs: string[];
}

const vectors: Vector[] = JSON.parse(readFileSync(new URL('../test/fixtures/sacrebleu_vectors.json', import.meta.url), 'utf8')).cases;
// Each pair is a vector's hypothesis and first reference, made distinct per pair by a trailing word.
const pairs = Array.from({ length: PAIRS }, (_, i) => {
  const v = vectors[i % vectors.length]!;
  return { hyp: `${v.hyp} w${i}`, ref: `${v.refs[0]} w${i}` };
});

function rate(run: (hyp: string, ref: string) => unknown): number {
  const samples: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const started = performance.now();
    for (const { hyp, ref } of pairs) run(hyp, ref);
    if (round > 0) samples.push(PAIRS / ((performance.now() - started) / 1000));
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const ours = {
  BLEU: rate((h, r) => sentenceBleu(h, [r])),
  chrF: rate((h, r) => sentenceChrf(h, [r])),
  'ROUGE-L': rate((h, r) => rouge(r, h, 'rougeL', false)),
};

const PYTHON_BASELINE = `
import json, sys, time
pairs = json.load(sys.stdin)
out = {}
def rate(fn):
    best = []
    for _ in range(${ROUNDS + 1}):
        t = time.perf_counter()
        for h, r in pairs: fn(h, r)
        best.append(len(pairs) / (time.perf_counter() - t))
    best = sorted(best[1:])
    return best[len(best) // 2]
try:
    import sacrebleu
    out['BLEU'] = rate(lambda h, r: sacrebleu.sentence_bleu(h, [r]))
    out['chrF'] = rate(lambda h, r: sacrebleu.sentence_chrf(h, [r]))
except ImportError:
    pass
try:
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(['rougeL'])
    out['ROUGE-L'] = rate(lambda h, r: scorer.score(r, h))
except ImportError:
    pass
print(json.dumps(out))
`;

const python = process.env.RLAR_BENCH_PYTHON ?? 'python3';
const baseline = spawnSync(python, ['-c', PYTHON_BASELINE], {
  input: JSON.stringify(pairs.map((p) => [p.hyp, p.ref])),
  encoding: 'utf8',
  timeout: 300_000,
});
const theirs: Record<string, number> = baseline.status === 0 ? JSON.parse(baseline.stdout) : {};

console.log(`${PAIRS} sentence pairs (sacrebleu test vectors), single core, median of ${ROUNDS} rounds`);
for (const [metric, perSecond] of Object.entries(ours)) {
  const reference = theirs[metric];
  const against =
    reference === undefined
      ? '(no Python baseline installed)'
      : `baseline ${reference.toFixed(0).padStart(7)}/s (${metric === 'ROUGE-L' ? 'rouge-score' : 'sacrebleu'})   ratio ${(perSecond / reference).toFixed(2)}`;
  console.log(`${metric.padEnd(8)} ${perSecond.toFixed(0).padStart(7)} sentences/s   ${against}`);
}
