import { Ajv } from 'ajv';
import OpenAI from 'openai';
import { RateLimiter } from '../../util/rate-limiter.ts';
import { Semaphore } from '../../util/semaphore.ts';
import { messageOf } from '../../util/errors.ts';

/**
 * Chat completions from any OpenAI-compatible endpoint (OpenAI, vLLM, SGLang, Ollama) through the
 * `openai` package, asking for JSON that follows a schema: with `response_format` (json_schema) where
 * the server supports it, else by instruction; answers are validated, and one violation is answered
 * with the error and a second try.
 */

export interface LlmOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  /** Most requests in flight to the endpoint. */
  concurrency?: number;
  /** Requests and (estimated prompt) tokens per minute; 0 or absent: no limit. */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface JsonAnswer<T> {
  value: T;
  /** Every raw answer the model gave, for the toolset's provenance. */
  raw: string[];
}

type Message = { role: 'system' | 'user' | 'assistant'; content: string };

const ajv = new Ajv({ strict: false, allErrors: false });

function parseJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return JSON.parse((fenced ? fenced[1]! : text).trim());
}

export class LlmClient {
  readonly model: string;
  readonly #client: OpenAI;
  readonly #slots: Semaphore;
  readonly #requests: RateLimiter;
  readonly #tokens: RateLimiter;
  readonly #onUsage: (usage: LlmUsage) => void;
  readonly #timeoutMs: number;
  /** Cleared when the server refuses `response_format`, so later calls ask in the prompt only. */
  #structuredOutput = true;

  constructor(options: LlmOptions, onUsage: (usage: LlmUsage) => void = () => {}) {
    this.model = options.model;
    this.#client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey, timeout: options.timeoutMs, maxRetries: 2 });
    this.#slots = new Semaphore(options.concurrency ?? 4);
    this.#requests = new RateLimiter(options.requestsPerMinute ?? 0);
    this.#tokens = new RateLimiter(options.tokensPerMinute ?? 0);
    this.#onUsage = onUsage;
    this.#timeoutMs = options.timeoutMs;
  }

  async #complete(
    messages: Message[],
    schemaName: string,
    schema: Record<string, unknown>,
    outer: AbortSignal | undefined,
  ): Promise<string> {
    // A token is about four characters: the budget is spent before the call, on the prompt.
    await this.#requests.take(1);
    await this.#tokens.take(Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4));
    await this.#slots.acquire();
    try {
      // A call's own timeout (retries included) starts now, when it has its slot, not while it waited for one.
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
      const request = { model: this.model, messages, temperature: 0 };
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await this.#client.chat.completions.create(
          this.#structuredOutput
            ? { ...request, response_format: { type: 'json_schema', json_schema: { name: schemaName, schema, strict: false } } }
            : request,
          { signal },
        );
      } catch (error) {
        // Only a refusal of response_format itself means the server lacks structured output; any other
        // 400 (a prompt too long, say) is this call's own problem.
        const refused = error instanceof OpenAI.BadRequestError && /response_format|json_schema|structured/i.test(error.message);
        if (!refused || !this.#structuredOutput) throw error;
        // A server without structured output: say the schema in the prompt instead.
        this.#structuredOutput = false;
        completion = await this.#client.chat.completions.create(request, { signal });
      }
      if (completion.usage) {
        this.#onUsage({ promptTokens: completion.usage.prompt_tokens, completionTokens: completion.usage.completion_tokens });
      }
      return completion.choices[0]?.message?.content ?? '';
    } finally {
      this.#slots.release();
    }
  }

  /**
   * An answer that parses as JSON and validates against `schema`, or an error saying why not. Each
   * call has the client's timeout; `signal` can end it (and the second try) sooner.
   */
  async json<T>(
    system: string,
    user: string,
    schemaName: string,
    schema: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<JsonAnswer<T>> {
    const validate = ajv.compile(schema);
    const messages: Message[] = [
      { role: 'system', content: `${system}\nAnswer with one JSON object that follows this JSON schema:\n${JSON.stringify(schema)}` },
      { role: 'user', content: user },
    ];
    const raw: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const text = await this.#complete(messages, schemaName, schema, signal);
      raw.push(text);
      let problem: string;
      try {
        const value = parseJson(text);
        if (validate(value)) return { value: value as T, raw };
        problem = `it does not follow the schema: ${ajv.errorsText(validate.errors)}`;
      } catch (error) {
        problem = `it is not JSON: ${messageOf(error)}`;
      }
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: `That answer cannot be used: ${problem}. Answer again.` });
    }
    throw new Error(`the model's answers did not follow the schema (${raw.length} tries)`);
  }
}
