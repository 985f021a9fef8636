import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import type { OpenEndedPolicy } from './pipeline/pipeline.ts';
import { DEFAULT_STRIP_TOKENS } from './protocol/cleanup.ts';
import type { ToolSettings } from './tools/settings.ts';

/**
 * The service's configuration, read from the environment once at start. A bad value stops the process
 * with a message naming the variable, instead of surfacing later as odd behaviour.
 */
export interface Config {
  port: number;
  host: string;
  /** Absent: embedded mode. Present: toolsets in Redis, scoring on BullMQ workers. */
  redisUrl: string | undefined;
  /**
   * Embedded mode: the directory of the file-backed toolset store (toolsets and all their versions
   * survive restarts), or `:memory:` for none.
   */
  dataDir: string;
  /** A recipe file (`--recipes` or RLAR_RECIPES): declared toolsets that win over the planner. */
  recipesFile: string | undefined;
  /** A snapshot of toolsets to serve (`--toolsets`); with `frozen`, nothing is planned or re-planned. */
  snapshotFile: string | undefined;
  frozen: boolean;
  /** Distributed mode: most score tasks in flight from one API node (backpressure). */
  queueInFlight: number;
  /** Distributed mode: most waiting jobs before new requests are refused with 503. */
  queueMaxDepth: number;
  /** Distributed mode: how long a worker's lock on a job lasts before the job counts as stalled. */
  jobLockMs: number;
  /** Self-evolution: items per toolset version judged at once (0: off), and the tool error rate that re-plans. */
  driftWindow: number;
  driftErrorRate: number;
  fallbackRetryMs: number;
  /** Tools' outside endpoints: the reward model (RLAR_RM_URL, RLAR_RM_PROTOCOL, RLAR_RM_MODEL). */
  tools: ToolSettings;
  /** Where the agent searches for reward models (the Hugging Face Hub's /api/models). */
  hubUrl: string;
  /** The agent planner, when an OpenAI-compatible endpoint is configured (OPENAI_BASE_URL). */
  planner: { baseUrl: string; apiKey: string; model: string; timeoutMs: number } | undefined;
  apiKeys: string[];
  /** Keys that also open the admin routes (/admin/queues); API keys do not. */
  adminKeys: string[];
  logLevel: string;
  bodyLimitBytes: number;
  maxTextChars: number;
  requestTimeoutMs: number;
  taskTimeoutMs: number;
  threads: number;
  threadHeapMb: number;
  /** Special tokens cut from the end of every response: the built-in list plus RLAR_STRIP_TOKENS (`none`: off). */
  stripTokens: string[];
  /** Open-ended items with no quality signal: scored on format, or abstained (RLAR_OPEN_ENDED). */
  openEnded: OpenEndedPolicy;
  /** /run_code: programs run at once, and requests that may wait for a turn before 504 + Retry-After. */
  sandboxConcurrency: number;
  sandboxQueue: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** A URL fit for logs: its credentials hidden. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@]*@/, '//***@');
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected an integer from ${min} to ${max}`);
  }
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `$XDG_DATA_HOME/rlar`, else `~/.local/share/rlar`: where user data lives on Linux. */
function defaultDataDir(env: Env): string {
  const xdg = env.XDG_DATA_HOME?.trim();
  return join(xdg || join(env.HOME?.trim() || homedir(), '.local', 'share'), 'rlar');
}

/** Variables with their defaults, as the README's configuration table lists them. */
export function loadConfig(env: Env = process.env): Config {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL="${redactUrl(redisUrl)}" is not valid: expected redis://host:port or rediss://...`);
  }
  const logLevel = env.RLAR_LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`RLAR_LOG_LEVEL="${logLevel}" is not valid: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const host = env.HOST?.trim() || '127.0.0.1';
  const keys = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
  const apiKeys = keys('RLAR_API_KEYS');
  const baseUrl = env.OPENAI_BASE_URL?.trim();
  if (baseUrl && !/^https?:\/\/\S+$/.test(baseUrl)) {
    throw new ConfigError(`OPENAI_BASE_URL="${baseUrl}" is not valid: expected http(s)://host[:port]/v1`);
  }
  const planner = baseUrl
    ? {
        baseUrl,
        apiKey: env.OPENAI_API_KEY?.trim() || 'none',
        model: env.RLAR_PLANNER_MODEL?.trim() || 'gpt-4.1',
        timeoutMs: integer(env, 'RLAR_PLANNER_TIMEOUT_MS', 60_000, 100, 3_600_000),
      }
    : undefined;
  const rmUrl = env.RLAR_RM_URL?.trim();
  if (rmUrl && !/^https?:\/\/\S+$/.test(rmUrl)) throw new ConfigError(`RLAR_RM_URL="${rmUrl}" is not valid: expected http(s)://...`);
  const rmProtocol = env.RLAR_RM_PROTOCOL?.trim() || 'tei';
  if (rmProtocol !== 'tei' && rmProtocol !== 'vllm' && rmProtocol !== 'hf-inference') {
    throw new ConfigError(`RLAR_RM_PROTOCOL="${rmProtocol}" is not valid: expected tei, vllm or hf-inference`);
  }
  const rmModel = env.RLAR_RM_MODEL?.trim();
  const tools: ToolSettings = rmUrl
    ? {
        rewardModel: {
          url: rmUrl,
          protocol: rmProtocol,
          timeoutMs: integer(env, 'RLAR_RM_TIMEOUT_MS', 30_000, 100, 600_000),
          maxBatch: integer(env, 'RLAR_RM_BATCH', 32, 1, 4096),
          batchWaitMs: integer(env, 'RLAR_RM_BATCH_WAIT_MS', 5, 0, 10_000),
          ...(rmModel && { model: rmModel }),
          ...(env.RLAR_RM_CHAT_TEMPLATE && { chatTemplate: env.RLAR_RM_CHAT_TEMPLATE }),
          ...(env.HF_TOKEN?.trim() && { apiKey: env.HF_TOKEN.trim() }),
        },
      }
    : {};
  const judgeUrl = env.RLAR_JUDGE_URL?.trim() || baseUrl;
  if (judgeUrl && !/^https?:\/\/\S+$/.test(judgeUrl)) throw new ConfigError(`RLAR_JUDGE_URL="${judgeUrl}" is not valid: expected http(s)://host[:port]/v1`);
  if (judgeUrl) {
    tools.judge = {
      baseUrl: judgeUrl,
      apiKey: env.RLAR_JUDGE_API_KEY?.trim() || env.OPENAI_API_KEY?.trim() || 'none',
      model: env.RLAR_JUDGE_MODEL?.trim() || env.RLAR_PLANNER_MODEL?.trim() || 'gpt-4.1',
      timeoutMs: integer(env, 'RLAR_JUDGE_TIMEOUT_MS', 60_000, 100, 600_000),
      concurrency: integer(env, 'RLAR_JUDGE_CONCURRENCY', 8, 1, 1024),
      requestsPerMinute: integer(env, 'RLAR_JUDGE_RPM', 0, 0, 10_000_000),
      tokensPerMinute: integer(env, 'RLAR_JUDGE_TPM', 0, 0, 1_000_000_000),
    };
  }
  const python = env.RLAR_PYTHON?.trim();
  if (python !== undefined && python !== '') {
    if (!python.startsWith('/')) throw new ConfigError(`RLAR_PYTHON="${python}" is not valid: expected the absolute path of a python3`);
    tools.python = python;
  }
  const hubUrl = env.RLAR_HUB_URL?.trim() || 'https://huggingface.co';
  const openEnded = env.RLAR_OPEN_ENDED?.trim() || 'format';
  if (openEnded !== 'format' && openEnded !== 'abstain') {
    throw new ConfigError(`RLAR_OPEN_ENDED="${openEnded}" is not valid: expected format or abstain`);
  }
  const extraTokens = (env.RLAR_STRIP_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const stripTokens = extraTokens.length === 1 && extraTokens[0] === 'none' ? [] : [...new Set([...DEFAULT_STRIP_TOKENS, ...extraTokens])];
  return {
    planner,
    tools,
    hubUrl,
    // Re-planning helps only a planner that can plan differently: on by default with the agent.
    driftWindow: integer(env, 'RLAR_DRIFT_WINDOW', planner ? 500 : 0, 0, 10_000_000),
    driftErrorRate: integer(env, 'RLAR_DRIFT_ERROR_PERCENT', 20, 0, 100) / 100,
    // A toolset planned while the agent was down is retried with the agent this often (agent only).
    fallbackRetryMs: planner ? integer(env, 'RLAR_FALLBACK_RETRY_MS', 300_000, 0, 86_400_000) : 0,
    port: integer(env, 'PORT', 8000, 0, 65535),
    host,
    redisUrl,
    dataDir: env.RLAR_DATA_DIR?.trim() || defaultDataDir(env),
    recipesFile: env.RLAR_RECIPES?.trim() || undefined,
    snapshotFile: undefined,
    frozen: false,
    queueInFlight: integer(env, 'RLAR_QUEUE_IN_FLIGHT', 32, 1, 100_000),
    queueMaxDepth: integer(env, 'RLAR_QUEUE_MAX_DEPTH', 10_000, 1, 10_000_000),
    jobLockMs: integer(env, 'RLAR_JOB_LOCK_MS', 30_000, 500, 3_600_000),
    apiKeys,
    adminKeys: keys('RLAR_ADMIN_KEYS'),
    logLevel,
    bodyLimitBytes: integer(env, 'RLAR_BODY_LIMIT_MB', 64, 1, 4096) * 1024 * 1024,
    maxTextChars: integer(env, 'RLAR_MAX_TEXT_CHARS', 1_000_000, 1, 1_000_000_000),
    requestTimeoutMs: integer(env, 'RLAR_REQUEST_TIMEOUT_MS', 120_000, 100, 86_400_000),
    taskTimeoutMs: integer(env, 'RLAR_TASK_TIMEOUT_MS', 10_000, 10, 3_600_000),
    threads: integer(env, 'RLAR_THREADS', availableParallelism(), 1, 1024),
    threadHeapMb: integer(env, 'RLAR_THREAD_HEAP_MB', 1024, 64, 65536),
    stripTokens,
    openEnded,
    sandboxConcurrency: integer(env, 'RLAR_SANDBOX_CONCURRENCY', availableParallelism(), 1, 1024),
    sandboxQueue: integer(env, 'RLAR_SANDBOX_QUEUE', 64, 0, 100_000),
  };
}
