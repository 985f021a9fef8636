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

async function serve(handler: (path: string, body: unknown) => unknown): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const path = request.url ?? '/';
    requests.push({ path, body });
    const answer = handler(path, body);
    response.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/json' });
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

export function startFakeTei(): Promise<FakeServer> {
  return serve((path, body) => {
    if (path !== '/predict') return undefined;
    return [{ score: politeScore(String((body as { inputs: string }).inputs)), label: 'LABEL_0' }];
  });
}

export function startFakeHfInference(): Promise<FakeServer> {
  return serve((path, body) => {
    if (!path.startsWith('/models/')) return undefined;
    return [[{ label: 'LABEL_0', score: politeScore(String((body as { inputs: string }).inputs)) }]];
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
