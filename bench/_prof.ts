import { readFileSync } from 'node:fs';
import { startService } from '../test/helpers/service.ts';
const rows = readFileSync(new URL('./data/math500.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const items = Array.from({ length: 4096 }, (_, i) => { const row = rows[i % rows.length]; return { prompt: row.problem, response: i % 3 === 2 ? row.solution.replace(/\\boxed\{/g, '\\boxed{9') : row.solution, reference: row.answer, task: 'lighteval/MATH' }; });
const body = JSON.stringify({ items, options: { compact: true } });
const service = await startService({ RLAR_LOG_LEVEL: 'warn', RLAR_DATA_DIR: ':memory:', NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/prof' });
for (let i = 0; i < 15; i++) { const r = await fetch(`${service.url}/reward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); await r.json(); }
await service.stop();
