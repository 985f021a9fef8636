import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Self-evolution: a toolset whose tool keeps failing, or whose rewards never vary, is re-planned.

let service: RunningService;

beforeAll(async () => {
  service = await startService({ RLAR_DRIFT_WINDOW: '20' });
});
afterAll(async () => {
  await service.stop();
});

async function toolset(signature: string) {
  return (await fetch(`${service.url}/toolsets/${signature}`)).json();
}

async function waitForVersion(signature: string, version: number) {
  for (let i = 0; i < 100; i++) {
    const current = await toolset(signature);
    if (current.version >= version) return current;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${signature} never reached version ${version}`);
}

describe('self-evolution', () => {
  it('re-plans a signature whose tool fails too often, keeping the old version', async () => {
    // A multiple-choice dataset whose references name no option letter: `choice` fails on every item.
    const items = Array.from({ length: 20 }, (_, i) => ({ prompt: `Q${i}`, response: 'A', reference: 'forty-two', task: 'cais/mmlu' }));
    const { json } = await postJson(`${service.url}/reward`, { items });
    const signature = json.results[0].signature;
    const replanned = await waitForVersion(signature, 2);
    expect(replanned.rationale[0]).toBe('re-planned: tool choice failed on 100% of 20 items');
    const { toolsets } = await (await fetch(`${service.url}/toolsets/${signature}/versions`)).json();
    expect(toolsets.map((t: any) => t.version)).toEqual([1, 2]);
  });

  it('re-plans a signature whose rewards never vary over a window, and not one whose rewards do', async () => {
    const constant = Array.from({ length: 20 }, (_, i) => ({ prompt: `Say hi ${i}`, response: 'hi there', task: 'evolution/constant' }));
    const varied = Array.from({ length: 20 }, (_, i) => ({
      prompt: `Add ${i}`,
      response: `\\boxed{${i % 2}}`,
      reference: '1',
      task: 'evolution/varied',
    }));
    const { json } = await postJson(`${service.url}/reward`, { items: [...constant, ...varied] });
    const replanned = await waitForVersion(json.results[0].signature, 2);
    expect(replanned.rationale[0]).toBe('re-planned: every reward was 1 over 20 items');
    await new Promise((r) => setTimeout(r, 300));
    expect((await toolset(json.results[20].signature)).version).toBe(1);
  });

  it('re-plans on request, and answers 404 for a signature never planned', async () => {
    const { json } = await postJson(`${service.url}/reward`, { items: [{ prompt: 'p', response: '\\boxed{3}', reference: '3', task: 'evolution/manual' }] });
    const signature = json.results[0].signature;
    const response = await fetch(`${service.url}/toolsets/${signature}/replan`, { method: 'POST' });
    expect(response.status).toBe(200);
    const replanned = await response.json();
    expect(replanned.version).toBe(2);
    expect(replanned.rationale[0]).toBe('re-planned: requested through POST /toolsets/{signature}/replan');
    expect((await fetch(`${service.url}/toolsets/math.nowhere.number/replan`, { method: 'POST' })).status).toBe(404);
  });
});
