import { rowCredit } from './accuracy.ts';
import type { Candidate, EvalRun } from './eval.ts';

/**
 * The HTML report of `rlar eval`: one self-contained file (inline CSS and SVG, no external asset, no
 * CDN), readable offline and attachable to a ticket. A small inline script marks on the page how many
 * charts the browser laid out, so a headless browser can check that they were drawn.
 */

const CHOSEN = '#2a7d4f';
const REJECTED = '#c0392b';

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function excerpt(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)} [... ${text.length - max} more characters]` : text;
}

/** Two overlaid histograms of rewards, chosen against rejected, as an inline SVG. */
function histogram(id: string, title: string, chosen: number[], rejected: number[]): string {
  // A loop, not Math.min(...values): spreading a large run's rewards would overflow the stack.
  let lo = 0;
  let hi = 1;
  for (const v of [chosen, rejected].flat()) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const bins = 20;
  const width = 460;
  const height = 160;
  const pad = { left: 46, bottom: 22, top: 20 };
  const plotW = width - pad.left - 8;
  const plotH = height - pad.top - pad.bottom;
  const count = (values: number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
    return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
  };
  const series = [
    { name: 'chosen', color: CHOSEN, shares: count(chosen), offset: 0 },
    { name: 'rejected', color: REJECTED, shares: count(rejected), offset: 0.5 },
  ];
  const top = Math.max(0.01, ...series.flatMap((s) => s.shares));
  const binW = plotW / bins;
  const bars = series
    .flatMap((s) =>
      s.shares.map((share, b) => {
        const h = (share / top) * plotH;
        const x = pad.left + b * binW + s.offset * binW;
        return share > 0
          ? `<rect x="${x.toFixed(1)}" y="${(pad.top + plotH - h).toFixed(1)}" width="${(binW / 2 - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${s.name}: ${pct(share)} in [${num(lo + (b * (hi - lo)) / bins)}, ${num(lo + ((b + 1) * (hi - lo)) / bins)})</title></rect>`
          : '';
      }),
    )
    .join('');
  const axis = `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${pad.left + plotW}" y2="${pad.top + plotH}" stroke="#555"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" stroke="#555"/>
<text x="${pad.left}" y="${height - 6}" font-size="10">${num(lo)}</text>
<text x="${pad.left + plotW}" y="${height - 6}" font-size="10" text-anchor="end">${num(hi)}</text>
<text x="${pad.left - 4}" y="${pad.top + 8}" font-size="10" text-anchor="end">${pct(top)}</text>
<text x="${pad.left + plotW / 2}" y="${height - 6}" font-size="10" text-anchor="middle">reward</text>`;
  const shortTitle = title.length > 40 ? `${title.slice(0, 39)}…` : title;
  const legend = `<text x="${pad.left}" y="12" font-size="11" font-weight="bold">${esc(shortTitle)}<title>${esc(title)}</title></text>
<rect x="${width - 200}" y="4" width="10" height="10" fill="${CHOSEN}"/><text x="${width - 186}" y="13" font-size="10">chosen (${chosen.length})</text>
<rect x="${width - 100}" y="4" width="10" height="10" fill="${REJECTED}"/><text x="${width - 86}" y="13" font-size="10">rejected (${rejected.length})</text>`;
  return `<svg class="chart" data-chart="${esc(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">${legend}${axis}${bars}</svg>`;
}

/** Horizontal bars, one per label, values in [-1, 1] or [0, 1]. */
function barChart(id: string, title: string, rows: { label: string; value: number; text: string }[]): string {
  const width = 520;
  const rowH = 18;
  const labelW = 170;
  const height = 24 + rows.length * rowH;
  const signed = rows.some((r) => r.value < 0);
  const plotW = width - labelW - 70;
  const zero = labelW + (signed ? plotW / 2 : 0);
  const scale = signed ? plotW / 2 : plotW;
  const bars = rows
    .map((r, i) => {
      const y = 20 + i * rowH;
      const w = Math.abs(r.value) * scale;
      const x = r.value < 0 ? zero - w : zero;
      return `<text x="${labelW - 6}" y="${y + 12}" font-size="11" text-anchor="end">${esc(r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label)}</text>
<rect x="${x.toFixed(1)}" y="${y + 2}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 5}" fill="${r.value < 0 ? REJECTED : CHOSEN}"><title>${esc(r.label)}: ${esc(r.text)}</title></rect>
<text x="${(r.value < 0 ? zero + 4 : zero + w + 4).toFixed(1)}" y="${y + 12}" font-size="10">${esc(r.text)}</text>`;
    })
    .join('');
  return `<svg class="chart" data-chart="${esc(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><text x="0" y="12" font-size="11" font-weight="bold">${esc(title)}</text><line x1="${zero}" y1="18" x2="${zero}" y2="${height}" stroke="#555"/>${bars}</svg>`;
}

function bySide(candidates: Candidate[]) {
  return {
    chosen: candidates.filter((c) => c.side === 'chosen').map((c) => c.reward),
    rejected: candidates.filter((c) => c.side === 'rejected').map((c) => c.reward),
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

interface ToolStats {
  tool: string;
  chosenMean: number;
  rejectedMean: number;
  weight: number;
  errors: number;
  /** Accuracy of this tool's score alone, on rows where it scored every response (ties share credit). */
  alone: number;
  rows: number;
}

function toolStats(candidates: Candidate[]): ToolStats[] {
  const tools = [...new Set(candidates.flatMap((c) => c.components.map((k) => k.tool)))];
  const rows = groupBy(candidates, (c) => String(c.row));
  return tools.map((tool) => {
    const withTool = candidates.flatMap((c) => c.components.filter((k) => k.tool === tool).map((k) => ({ c, k })));
    const credits: number[] = [];
    for (const rowCandidates of rows.values()) {
      const score = (c: Candidate) => c.components.find((k) => k.tool === tool)?.score;
      const ordered = [...rowCandidates].sort((a, b) => (a.side === b.side ? a.index - b.index : a.side === 'chosen' ? -1 : 1));
      const scores = ordered.map(score);
      if (scores.some((s) => s === undefined)) continue;
      const chosen = ordered.filter((c) => c.side === 'chosen').map((c) => score(c)!);
      const rejected = ordered.filter((c) => c.side === 'rejected').map((c) => score(c)!);
      credits.push(rowCredit({ row: 0, subset: '', pairwise: false, chosen, rejected }));
    }
    return {
      tool,
      chosenMean: mean(withTool.filter(({ c }) => c.side === 'chosen').map(({ k }) => k.score)),
      rejectedMean: mean(withTool.filter(({ c }) => c.side === 'rejected').map(({ k }) => k.score)),
      weight: mean(withTool.map(({ k }) => k.weight)),
      errors: withTool.filter(({ k }) => k.error !== undefined).length,
      alone: mean(credits),
      rows: credits.length,
    };
  });
}

function componentsText(c: Candidate): string {
  const parts = c.components.map((k) => `${esc(k.tool)} ${num(k.score)} × ${num(k.weight)}${k.error ? ` <span class="err">(${esc(k.error)})</span>` : ''}`);
  return parts.join('<br>') + (c.error ? `<br><span class="err">error: ${esc(c.error)}</span>` : '');
}

function worstMisses(run: EvalRun, limit = 12): string {
  const byRow = groupBy(run.candidates, (c) => String(c.row));
  const misses = run.accuracy.rows
    .filter((o) => o.credit < 1)
    .sort((a, b) => b.margin - a.margin)
    .slice(0, limit);
  if (misses.length === 0) return '<p>No misses: every chosen response scored above its rejected ones.</p>';
  return misses
    .map((o) => {
      const rowCandidates = byRow.get(String(o.row)) ?? [];
      const chosen = rowCandidates.find((c) => c.side === 'chosen' && c.index === 0);
      const rejected = rowCandidates.filter((c) => c.side === 'rejected').sort((a, b) => b.reward - a.reward)[0];
      if (!chosen || !rejected) return '';
      const cell = (c: Candidate, title: string) =>
        `<td><b>${title}</b> reward ${num(c.reward)} <small>(${esc(c.signature)})</small><pre>${esc(excerpt(c.response))}</pre><div class="components">${componentsText(c)}</div></td>`;
      return `<div class="miss"><h4>row ${o.row} · ${esc(o.subset)} · missed by ${num(o.margin)}${o.tied ? ' (tie)' : ''}</h4>
<details><summary>prompt</summary><pre>${esc(excerpt(chosen.prompt, 1500))}</pre></details>
<table class="pair"><tr>${cell(chosen, 'chosen')}${cell(rejected, 'best rejected')}</tr></table></div>`;
    })
    .join('\n');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:flex;flex-wrap:wrap;gap:12px}
pre{white-space:pre-wrap;max-height:220px;overflow:auto;background:#f8f8f8;padding:6px;margin:4px 0;font-size:12px}
.err{color:${REJECTED}}.miss{border-top:1px solid #ddd;margin-top:10px}.pair td{width:50%}.components{font-size:12px}
.big{font-size:28px;font-weight:bold}small{color:#666}`;

/** Counts the charts the browser laid out (non-empty boxes) and marks the page with it. */
const DRAWN_CHECK = `<script>
(function () {
  var drawn = 0;
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0 && svg.querySelector('rect')) { drawn++; svg.setAttribute('data-drawn', 'true'); }
  });
  document.documentElement.setAttribute('data-charts-drawn', String(drawn));
})();
</script>`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
${body}
${DRAWN_CHECK}
</body></html>
`;
}

export function renderReport(run: EvalRun, label?: string): string {
  const { accuracy } = run;
  const subsetNames = Object.keys(accuracy.subsets).sort();
  const bySubset = groupBy(run.candidates, (c) => c.subset);
  const subsetRows = subsetNames
    .map((name) => {
      const s = accuracy.subsets[name]!;
      const sides = bySide(bySubset.get(name) ?? []);
      return `<tr><td>${esc(name)}</td><td class="num">${s.n}</td><td class="num">${pct(s.accuracy)}</td><td class="num">${num(mean(sides.chosen))}</td><td class="num">${num(mean(sides.rejected))}</td><td class="num">${s.ties}</td></tr>`;
    })
    .join('\n');
  const ties = subsetNames
    .filter((n) => accuracy.subsets[n]!.ties_terms)
    .map((n) => `<p>${esc(n)} (RewardBench 2's Ties formula): ${Object.entries(accuracy.subsets[n]!.ties_terms!).map(([k, v]) => `${esc(k)} ${num(v)}`).join(', ')}</p>`)
    .join('');
  const subsetCharts = subsetNames
    .map((name) => {
      const sides = bySide(bySubset.get(name) ?? []);
      return histogram(`subset:${name}`, `subset ${name}`, sides.chosen, sides.rejected);
    })
    .join('\n');
  const bySignature = groupBy(run.candidates, (c) => c.signature);
  const signatureCharts = [...bySignature]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([signature, cs]) => {
      const sides = bySide(cs);
      return histogram(`signature:${signature}`, `${signature}`, sides.chosen, sides.rejected);
    })
    .join('\n');
  const toolsetRows = [...bySignature]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([signature, cs]) => {
      const versions = [...new Set(cs.map((c) => c.toolset_version))].sort((a, b) => a - b).join(', ');
      const hashes = [...new Set(cs.map((c) => c.toolset_hash))].map((h) => `<code title="${esc(h)}">${esc(h.replace(/^sha256:/, '').slice(0, 12))}</code>`).join(' ');
      const tools = [...new Set(cs.flatMap((c) => c.components.map((k) => k.tool)))].join(', ');
      return `<tr><td>${esc(signature)}</td><td class="num">${cs.length}</td><td class="num">${esc(versions)}</td><td>${hashes}</td><td>${esc(tools)}</td></tr>`;
    })
    .join('\n');
  const tools = toolStats(run.candidates).sort((a, b) => b.chosenMean - b.rejectedMean - (a.chosenMean - a.rejectedMean));
  const toolRows = tools
    .map(
      (t) =>
        `<tr><td>${esc(t.tool)}</td><td class="num">${num(t.weight)}</td><td class="num">${num(t.chosenMean)}</td><td class="num">${num(t.rejectedMean)}</td><td class="num">${num(t.chosenMean - t.rejectedMean)}</td><td class="num">${t.rows > 0 ? pct(t.alone) : '-'}</td><td class="num">${t.errors}</td></tr>`,
    )
    .join('\n');
  const toolChart = barChart(
    'tools',
    'mean score, chosen minus rejected, per tool',
    tools.map((t) => ({ label: t.tool, value: Math.max(-1, Math.min(1, t.chosenMean - t.rejectedMean || 0)), text: num(t.chosenMean - t.rejectedMean) })),
  );
  const accuracyChart = barChart(
    'accuracy',
    'accuracy per subset',
    subsetNames.map((n) => ({ label: n, value: accuracy.subsets[n]!.accuracy, text: pct(accuracy.subsets[n]!.accuracy) })),
  );
  const skipped =
    run.skipped.length === 0
      ? ''
      : `<h2>Rows not judged (${run.skipped.length})</h2><ul>${run.skipped
          .slice(0, 50)
          .map((s) => `<li>row ${s.row}: ${esc(s.problem)}</li>`)
          .join('')}</ul>`;
  const notes = accuracy.notes.length === 0 ? '' : `<ul>${accuracy.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  const title = `rlar eval: ${run.file}${label ? ` (${label})` : ''}`;
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p>Scored ${esc(run.scoredWith)}; ${accuracy.rows.length} rows, ${run.candidates.length} responses, ${new Date().toISOString()}.</p>
<p class="big" id="overall">overall ${pct(accuracy.overall)}</p>
<p><small>Best-of-N rows: the first chosen response must score above every rejected one (a tie at the top shares the credit, as RewardBench 2 counts it); pairs: chosen strictly above rejected; overall: the mean of the subsets.</small></p>
<h2>Subsets</h2>
<table id="subsets"><thead><tr><th>subset</th><th>rows</th><th>accuracy</th><th>mean reward chosen</th><th>mean reward rejected</th><th>rows with a tie</th></tr></thead>
<tbody>
${subsetRows}
</tbody></table>
${ties}${notes}
<div class="charts">${accuracyChart}</div>
<h2>Reward distributions per subset</h2>
<div class="charts">${subsetCharts}</div>
<h2>Toolsets</h2>
<table id="toolsets"><thead><tr><th>signature</th><th>responses</th><th>version</th><th>toolset hash</th><th>tools</th></tr></thead>
<tbody>
${toolsetRows}
</tbody></table>
<h2>Reward distributions per signature</h2>
<div class="charts">${signatureCharts}</div>
<h2>Per-tool contributions</h2>
<p><small>Mean raw score of each tool on chosen and rejected responses, its mean weight, and the accuracy its score alone would give on the rows where it scored every response.</small></p>
<table id="tools"><thead><tr><th>tool</th><th>weight</th><th>chosen</th><th>rejected</th><th>difference</th><th>accuracy alone</th><th>errors</th></tr></thead>
<tbody>
${toolRows}
</tbody></table>
<div class="charts">${toolChart}</div>
<h2>Worst misses</h2>
${worstMisses(run)}
${skipped}`,
  );
}

/** The ranking page of `rlar eval --compare`. */
export function renderComparison(file: string, runs: { name: string; run: EvalRun }[]): string {
  const subsets = [...new Set(runs.flatMap(({ run }) => Object.keys(run.accuracy.subsets)))].sort();
  const rows = runs
    .map(
      ({ name, run }, i) =>
        `<tr><td class="num">${i + 1}</td><td><a href="${esc(encodeURIComponent(name))}/report.html">${esc(name)}</a></td><td class="num">${pct(run.accuracy.overall)}</td>${subsets
          .map((s) => `<td class="num">${run.accuracy.subsets[s] ? pct(run.accuracy.subsets[s].accuracy) : '-'}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  const chart = barChart(
    'ranking',
    'overall accuracy per toolset',
    runs.map(({ name, run }) => ({ label: name, value: run.accuracy.overall, text: pct(run.accuracy.overall) })),
  );
  return page(
    `rlar eval --compare: ${file}`,
    `<h1>rlar eval --compare: ${esc(file)}</h1>
<table id="ranking"><thead><tr><th>rank</th><th>toolset</th><th>overall</th>${subsets.map((s) => `<th>${esc(s)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
<div class="charts">${chart}</div>`,
  );
}
