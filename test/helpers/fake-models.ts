import { createServer, type Server } from 'node:http';

/**
 * Local servers speaking the Hugging Face Hub's `GET /api/models` and the inference protocols a
 * reward model is served with: TEI `POST /predict` and the HF inference API `POST /models/{id}`.
 */
export interface FakeServer {
  url: string;
  requests: { path: string; body: unknown }[];
  close(): Promise<void>;
}

async function serve(handler: (path: string, body: unknown) => unknown, delayMs = 0): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const path = request.url ?? '/';
    requests.push({ path, body });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const answer = handler(path, body);
    const failure = answer && typeof answer === 'object' && 'status' in answer ? (answer as { status: number }).status : undefined;
    response.writeHead(answer === undefined ? 404 : (failure ?? 200), { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A reward model that likes polite answers: raw score +2 when the text thanks, else -2. */
export function politeScore(text: string): number {
  return /thank/i.test(text) ? 2 : -2;
}

/** Inputs of a classification request: one text, or a batch of them. */
function texts(body: unknown): string[] {
  const inputs = (body as { inputs?: unknown; input?: unknown }).inputs ?? (body as { input?: unknown }).input;
  return Array.isArray(inputs) ? inputs.map(String) : [String(inputs)];
}

export interface FakeModelOptions {
  /** Answer this status (e.g. 503, 429) to the first `failures` requests. */
  failures?: number;
  status?: number;
  delayMs?: number;
  /** Refuse (413) every batch holding an input that matches, as a server refuses an over-long input. */
  refuse?: RegExp;
}

function failing(options: FakeModelOptions) {
  let left = options.failures ?? 0;
  return () => (left-- > 0 ? (options.status ?? 503) : undefined);
}

/**
 * TEI's `POST /predict`: `inputs` is one text, a [text, text] pair, or a batch of one-text lists (or
 * pairs); a flat list of more than two strings is refused, as TEI refuses it. One list of {score, label}
 * per input.
 */
export function startFakeTei(options: FakeModelOptions = {}): Promise<FakeServer> {
  const fail = failing(options);
  return serve((path, body) => {
    if (path !== '/predict') return undefined;
    const status = fail();
    if (status) return { status };
    const inputs = (body as { inputs: unknown }).inputs;
    if (!Array.isArray(inputs) || !inputs.every((i) => Array.isArray(i))) return { status: 422 };
    if (options.refuse && (inputs as string[][]).some((sequence) => options.refuse!.test(sequence.join(' ')))) return { status: 413 };
    return (inputs as string[][]).map((sequence) => [{ score: politeScore(sequence.join(' ')), label: 'LABEL_0' }]);
  }, options.delayMs);
}

/** The HF inference API's `POST /models/{id}`: one list of {label, score} per input. */
export function startFakeHfInference(): Promise<FakeServer> {
  return serve((path, body) => {
    if (!path.startsWith('/models/')) return undefined;
    const raw = (body as { parameters?: { function_to_apply?: string } }).parameters?.function_to_apply === 'none';
    return texts(body).map((text) => [{ label: 'LABEL_0', score: raw ? politeScore(text) : 1 / (1 + Math.exp(-politeScore(text))) }]);
  });
}

/** vLLM's `POST /classify`: data entries with the index of their input. */
export function startFakeVllm(): Promise<FakeServer> {
  return serve((path, body) => {
    if (path !== '/classify') return undefined;
    // With activation: false vLLM puts the raw logits where the probabilities would be.
    const raw = (body as { activation?: boolean }).activation === false;
    return { data: texts(body).map((text, index) => ({ index, label: 'LABEL_0', probs: [raw ? politeScore(text) : 1], num_classes: 1 })) };
  });
}

export function startFakeHub(models: { id: string; downloads: number; pipeline_tag?: string }[]): Promise<FakeServer> {
  return serve((path) => {
    if (!path.startsWith('/api/models')) return undefined;
    const query = new URL(path, 'http://hub').searchParams;
    const search = (query.get('search') ?? '').toLowerCase().split(/\s+/);
    return models
      .filter((m) => (m.pipeline_tag ?? 'text-classification') === query.get('pipeline_tag'))
      .filter((m) => search.every((word) => m.id.toLowerCase().includes(word)))
      .map((m) => ({ _id: `id-${m.id}`, id: m.id, pipeline_tag: m.pipeline_tag ?? 'text-classification', downloads: m.downloads, likes: 0, private: false, gated: false, tags: ['reward-model'] }));
  });
}
