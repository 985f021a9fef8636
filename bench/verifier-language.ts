/**
 * Which language the agent's verifiers should be written in, seen from the fake-LLM tests: the same
 * five verifiers written in JavaScript (QuickJS) and in Python (the `python` tool in the sandbox), each
 * set planned by the agent through a local OpenAI-compatible server (test/helpers/fake-llm.ts).
 * Measured per language: verifiers accepted by validation, the time of the planning request (LLM
 * answer + validation + scoring 8 items) and the scoring time per item of the planned toolset.
 *
 * Run: npm run build && node bench/verifier-language.ts
 */
import { readFileSync } from 'node:fs';
import { startFakeLlm } from '../test/helpers/fake-llm.ts';
import { startService } from '../test/helpers/service.ts';
import { cpuPressure } from './machine.ts';

const ITEMS = 5_000;
const ROUNDS = 3;

const VERIFIERS: Record<'javascript' | 'python', Record<string, string>> = {
  javascript: {
    mentions: 'function score(p, r, ref) { return r.toLowerCase().includes(String(ref).toLowerCase()) ? 1 : 0; }',
    final_number:
      'function score(p, r, ref) { const m = r.match(/#### (-?[0-9.,]+)/); return m && m[1].replace(/,/g, "") === String(ref) ? 1 : 0; }',
    exact: 'function score(p, r, ref) { const n = (s) => String(s).toLowerCase().replace(/[^a-z0-9]/g, ""); return n(r.split("####").pop()) === n(ref) ? 1 : 0; }',
    length: 'function score(p, r, ref) { const w = r.split(/\\s+/).filter(Boolean).length; return w > 0 && w <= 200 ? 1 : 0; }',
    no_refusal: 'function score(p, r, ref) { return /\\b(sorry|cannot|as an ai)\\b/i.test(r) ? 0 : (r.includes(String(ref)) ? 1 : 0.5); }',
  },
  python: {
    mentions: 'def score(p, r, ref):\n    return 1.0 if str(ref).lower() in r.lower() else 0.0\n',
    final_number:
      'import re\ndef score(p, r, ref):\n    m = re.search(r"#### (-?[0-9.,]+)", r)\n    return 1.0 if m and m.group(1).replace(",", "") == str(ref) else 0.0\n',
    exact: 'import re\ndef score(p, r, ref):\n    n = lambda s: re.sub(r"[^a-z0-9]", "", str(s).lower())\n    return 1.0 if n(r.split("####")[-1]) == n(ref) else 0.0\n',
    length: 'def score(p, r, ref):\n    w = len(r.split())\n    return 1.0 if 0 < w <= 200 else 0.0\n',
    no_refusal:
      'import re\ndef score(p, r, ref):\n    if re.search(r"\\b(sorry|cannot|as an ai)\\b", r, re.I):\n        return 0.0\n    return 1.0 if str(ref) in r else 0.5\n',
  },
};

function answer(language: 'javascript' | 'python'): string {
  return JSON.stringify({
    label: 'word problems',
    basic_tasks: ['arithmetic'],
    tools: [],
    verifiers: Object.entries(VERIFIERS[language]).map(([name, code]) => ({ name, description: name, code, language, weight: 1 })),
    rationale: 'the final number counts',
  });
}

const item = (i: number, language: string) => ({
  prompt: `Problem ${i}: how many apples?`,
  response: `Count them: ${i} and 3.\n#### ${i % 3 === 0 ? i + 1 : i}`,
  reference: String(i),
  task: `apples-${language}`,
});


async function post(url: string, body: unknown): Promise<{ rewards: number[]; results: { signature: string; error?: string }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as { rewards: number[]; results: { signature: string; error?: string }[] };
}

const llm = await startFakeLlm({ answer: (request) => answer(request.messages[1]!.content.includes('apples_python') ? 'python' : 'javascript') });
const service = await startService({ RLAR_LOG_LEVEL: 'warn', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'bench' });
const url = service.url;
try {
  console.log(`pressure before: ${cpuPressure()}`);
  for (const language of ['javascript', 'python'] as const) {
    const started = performance.now();
    const planned = await post(`${url}/reward`, { items: Array.from({ length: 8 }, (_, i) => item(i, language)) });
    const planningMs = performance.now() - started;
    const toolset = (await (await fetch(`${url}/toolsets/${planned.results[0]!.signature}`)).json()) as {
      provenance: { validation: { accepted: boolean }[] };
    };
    const accepted = toolset.provenance.validation.filter((v) => v.accepted).length;
    const items = Array.from({ length: ITEMS }, (_, i) => item(i, language));
    const times: number[] = [];
    for (let round = 0; round < ROUNDS + 1; round++) {
      const t = performance.now();
      const scored = await post(`${url}/reward`, { items });
      if (scored.results.some((r) => r.error !== undefined)) throw new Error(`an item failed: ${scored.results.find((r) => r.error)!.error}`);
      if (round > 0) times.push(((performance.now() - t) / ITEMS) * 1000);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${language.padEnd(10)} accepted ${accepted}/5   planning request ${planningMs.toFixed(0).padStart(5)} ms   ` +
        `scoring ${times[Math.floor(times.length / 2)]!.toFixed(1).padStart(6)} µs/item (5 verifiers, ${ITEMS} items, median of ${ROUNDS})`,
    );
  }
  console.log(`pressure after:  ${cpuPressure()}`);
} finally {
  await service.stop();
  await llm.close();
}
