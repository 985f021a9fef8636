import { readFileSync } from 'node:fs';

/**
 * Judged code responses: real model outputs with the evaluator's verdict (see the README files in
 * test/fixtures/humaneval-judged and test/fixtures/apps-judged), as items for POST /reward.
 */

export interface JudgedResponse {
  id: string;
  model: string;
  item: { id: string; prompt: string; response: string; reference: object; task: string };
  passed: boolean;
}

function jsonLines<T>(name: string): T[] {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

export function loadHumanEvalJudged(): JudgedResponse[] {
  const problems = new Map(
    jsonLines<{ task_id: string; prompt: string; test: string; entry_point: string }>('humaneval-judged/problems.jsonl').map((p) => [p.task_id, p]),
  );
  return jsonLines<{ model: string; task_id: string; completion: string; passed: boolean }>('humaneval-judged/judged.jsonl').map((row) => {
    const problem = problems.get(row.task_id)!;
    const id = `${row.model}:${row.task_id}`;
    return {
      id,
      model: row.model,
      // HumanEval's evaluator runs prompt + completion + test + check(entry_point): the completion is the response.
      item: { id, prompt: problem.prompt, response: row.completion, reference: { test: problem.test, entry_point: problem.entry_point }, task: 'openai_humaneval' },
      passed: row.passed,
    };
  });
}

/**
 * Programs of the MapCoder reproduction's runs (apps-judged, mbpp-judged): the program each run's
 * evaluator judged, in a Python block, with the prompt and reference its problem gives.
 */
function loadMapCoderJudged<P extends { id: string }>(set: string, task: string, toItem: (problem: P) => { prompt: string; reference: object }): JudgedResponse[] {
  const problems = new Map(jsonLines<P>(`${set}/problems.jsonl`).map((p) => [p.id, p]));
  return jsonLines<{ run: string; id: string; code: string; solved: boolean }>(`${set}/judged.jsonl`).map((row) => {
    const id = `${row.run}:${row.id}`;
    const { prompt, reference } = toItem(problems.get(row.id)!);
    return { id, model: row.run, item: { id, prompt, response: `\`\`\`python\n${row.code}\n\`\`\``, reference, task }, passed: row.solved };
  });
}

/** APPS stdin/stdout problems, judged by ExecEval. */
export const loadAppsJudged = () =>
  loadMapCoderJudged<{ id: string; inputs: string[]; outputs: string[] }>('apps-judged', 'apps', ({ inputs, outputs }) => ({ prompt: '', reference: { inputs, outputs } }));

/** MBPP problems in MultiPL-E's form (a typed prompt, a check(candidate) test), judged by MapCoder's evaluator. */
export const loadMbppJudged = () =>
  loadMapCoderJudged<{ id: string; prompt: string; test: string; entry_point: string }>('mbpp-judged', 'mbpp', ({ prompt, test, entry_point }) => ({ prompt, reference: { test, entry_point } }));
