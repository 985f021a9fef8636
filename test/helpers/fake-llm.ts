import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * A small OpenAI-compatible server for tests: `POST /v1/chat/completions` answered by a function of
 * the request, in the real response shape (choices, message, usage). It counts the calls it gets.
 */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: unknown;
}

export interface FakeLlm {
  url: string;
  calls: ChatRequest[];
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  /** The assistant's text for a request. */
  answer: (request: ChatRequest) => string | Promise<string>;
  /** Answer 400 to requests with response_format, like servers without structured output. */
  rejectResponseFormat?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer the first `count` requests with `status` (e.g. 429, 503). */
  failFirst?: { count: number; status: number };
}

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

export async function startFakeLlm(options: FakeLlmOptions): Promise<FakeLlm> {
  const calls: ChatRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const chat = JSON.parse(await body(request)) as ChatRequest;
    calls.push(chat);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (options.failFirst && calls.length <= options.failFirst.count) {
      response.writeHead(options.failFirst.status, { 'content-type': 'application/json', 'retry-after-ms': '10' });
      response.end(JSON.stringify({ error: { message: 'try again later', type: 'rate_limit' } }));
      return;
    }
    if (options.rejectResponseFormat && chat.response_format) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'response_format is not supported by this server', type: 'invalid_request_error' } }));
      return;
    }
    const content = await options.answer(chat);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: `chatcmpl-${calls.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: chat.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
