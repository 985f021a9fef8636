/**
 * Settings of tools that reach outside services (endpoints, keys). Set once per process and per worker
 * thread from the validated configuration (the thread pool hands them to its threads).
 */
export interface RewardModelEndpoint {
  url: string;
  protocol: 'tei' | 'vllm' | 'hf-inference';
  /** The model used when a toolset names none. */
  model?: string;
  apiKey?: string;
  timeoutMs: number;
  /** The model's chat template (Jinja), applied to the conversation before scoring. */
  chatTemplate?: string;
  /** Micro-batching: most inputs per upstream call, and how long to wait for more. */
  maxBatch: number;
  batchWaitMs: number;
}

export interface JudgeEndpoint {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  concurrency: number;
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export interface ToolSettings {
  rewardModel?: RewardModelEndpoint;
  judge?: JudgeEndpoint;
  /** The interpreter of the `python` tool, when not the system one (RLAR_PYTHON). */
  python?: string;
}

let settings: ToolSettings = {};

export function configureTools(value: ToolSettings): void {
  settings = value;
}

export function toolSettings(): ToolSettings {
  return settings;
}
