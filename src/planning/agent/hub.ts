import { listModels } from '@huggingface/hub';

/**
 * Reward models on the Hugging Face Hub (or a mirror at `hubUrl`): text-classification models (the
 * score-output kind) whose names say reward, best downloaded first. The agent's LLM then picks one
 * for the task, or none.
 */

interface HubModel {
  id: string;
  downloads: number;
  likes: number;
  tags: string[];
}

const REWARD_NAME = /reward|(^|[-_/])rm([-_/]|$)|preference|judge/i;

async function search(hubUrl: string, query: string, limit: number, signal: AbortSignal): Promise<HubModel[]> {
  const found: HubModel[] = [];
  const fetchWithSignal: typeof fetch = (input, init) => fetch(input, { ...init, signal });
  for await (const model of listModels({
    search: { query, task: 'text-classification' },
    hubUrl,
    limit,
    additionalFields: ['tags'],
    fetch: fetchWithSignal,
  })) {
    if (model.private || model.gated) continue;
    found.push({ id: model.name, downloads: model.downloads, likes: model.likes, tags: (model as { tags?: string[] }).tags ?? [] });
  }
  return found;
}

/** Candidates for a task label: reward models matching the label's words, else reward models at all. */
export async function findRewardModels(hubUrl: string, label: string, signal: AbortSignal, limit = 20): Promise<HubModel[]> {
  const words = label.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2);
  for (const query of [...words.map((w) => `${w} reward`), 'reward']) {
    const models = (await search(hubUrl, query, limit, signal)).filter((m) => REWARD_NAME.test(m.id));
    if (models.length > 0) return models.sort((a, b) => b.downloads - a.downloads).slice(0, limit);
  }
  return [];
}
