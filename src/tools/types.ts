/**
 * What a tool sees and returns. Tools are pure functions of one scoring item: they know nothing of
 * HTTP, queues or storage, so the same code runs in the API process, a worker thread or a queue worker.
 */

export interface ChatMessage {
  role: string;
  content: string;
}

/** A reference as trainers send it: one string, several acceptable strings, or structured data. */
export type Reference = string | string[] | Record<string, unknown>;

export interface ScoringItem {
  /** The prompt as plain text (chat messages are flattened by `promptText`). */
  prompt: string;
  /** The chat messages, when the prompt came as a conversation. */
  messages?: ChatMessage[];
  response: string;
  reference?: Reference;
  task?: string;
  metadata?: Record<string, unknown>;
}

export type ToolParams = Record<string, unknown>;

export interface ToolOutcome {
  /** Raw score in [0, 1]. */
  score: number;
  /** What the tool saw and decided (extracted answer, rule, counts...), returned to the caller. */
  detail?: Record<string, unknown>;
  /** The tool has no opinion on this item (a Python function returned None): `score` is ignored. */
  abstained?: boolean;
}

export type ToolKind = 'verifier' | 'reward_model' | 'judge' | 'synthesized';

export interface ToolDefinition {
  name: string;
  kind: ToolKind;
  /** One or two sentences: what is scored and from what. Planners (heuristic and LLM) read this. */
  description: string;
  /** Whether the tool needs a reference to say anything meaningful. */
  needsReference: boolean;
  /** The tool reads the prompt (`POST /tools/{name}/score` then requires one). */
  readsPrompt?: boolean;
  /** The score says nothing of the answer's quality, only of its form (length, repetition, tags). */
  formatOnly?: boolean;
  /** JSON schema of `params` (documentation for users and the agent planner). */
  params?: Record<string, unknown>;
  /**
   * The tool bounds its own running time (e.g. per-test-case kills in the sandbox), so the pipeline's
   * task timeout, meant for tools that could hang, does not apply to it.
   */
  selfLimiting?: boolean;
  score(item: ScoringItem, params: ToolParams): ToolOutcome | Promise<ToolOutcome>;
  /**
   * Set by tools that call outside services (reward models, judges): they run in the service process,
   * where `scoreBatch` sees the items of concurrent requests together and can batch and cache calls.
   */
  runsInService?: boolean;
  /** Scores many items at once; one entry per item, an Error for an item that could not be scored. */
  scoreBatch?(items: ScoringItem[], params: ToolParams, context?: { signature: string }): Promise<(ToolOutcome | Error)[]>;
}

/** Thrown by a tool for input it cannot score (as opposed to a bug): the message goes to the caller. */
export class ToolInputError extends Error {
  override name = 'ToolInputError';
}
