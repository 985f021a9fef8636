import { Type, type Static } from 'typebox';
import { Component, ToolsetDeclaration } from '../tools/toolset.ts';

/**
 * The wire shapes of `POST /reward` and the item shape shared by other routes: one definition each,
 * used for validation, for the TypeScript types and for the OpenAPI document.
 */

const OpenObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

const ContentBlock = Type.Object(
  { type: Type.Optional(Type.String()), text: Type.Optional(Type.String()) },
  { additionalProperties: true, description: 'A content block: {"type": "text", "text"} is kept, others (images...) dropped.' },
);

export const ChatMessage = Type.Object(
  {
    role: Type.String(),
    content: Type.Optional(
      Type.Union([Type.String(), Type.Null(), Type.Array(ContentBlock)], {
        description: 'Text, content blocks (their text parts are kept), or null (a tool call).',
      }),
    ),
  },
  { additionalProperties: true },
);

export const Prompt = Type.Union([Type.String(), Type.Array(ChatMessage)], {
  description: 'The prompt: plain text, or chat messages ({"role","content"}).',
});

export const Reference = Type.Union(
  [
    Type.String(),
    Type.Number(),
    Type.Boolean(),
    Type.Null(),
    Type.Array(Type.Unknown()),
    OpenObject('Structured reference, e.g. test cases or {"answer": ...}.'),
  ],
  {
    description:
      'The reference: one answer (text, number or boolean), several acceptable answers (a list), or structured ' +
      'data. Numbers are compared as numbers by the math tools; null is no reference.',
  },
);

export const Item = Type.Object(
  {
    id: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'Echoed in the result.' })),
    prompt: Prompt,
    response: Type.String({ description: 'The model response to score.' }),
    reference: Type.Optional(Reference),
    task: Type.Optional(
      Type.String({ maxLength: 200, description: 'A hint of the task, e.g. verl data_source ("openai/gsm8k").' }),
    ),
    metadata: Type.Optional(OpenObject('Anything else the tools may read (e.g. IFEval kwargs).')),
  },
  { additionalProperties: false },
);

export const ItemResult = Type.Object({
  reward: Type.Number(),
  signature: Type.String({ description: 'The task signature the item was scored under.' }),
  components: Type.Array(Component),
  error: Type.Optional(Type.String({ description: 'Why the item got its fallback reward.' })),
  unscored: Type.Optional(Type.Literal(true, { description: 'The request deadline passed before the item was scored.' })),
  abstained: Type.Optional(
    Type.Literal(true, { description: 'Open-ended with no quality signal and RLAR_OPEN_ENDED=abstain: no reward given.' }),
  ),
  detail: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        'What the service changed or noticed: stripped_tokens (special tokens cut from the response end), ' +
        'prompt_match (how an OpenRLHF response was found), content (non-text content dropped), format_only ' +
        '(no reference, reward model or judge: the reward checks format only).',
    }),
  ),
  toolset_version: Type.Integer({
    description: "The stored version of the toolset that scored the item; 0 for one not stored (a request's or a recipe's).",
  }),
  toolset_hash: Type.String({
    description: 'Content hash of what determined the reward (tools, weights, params, gates, combination, fallback).',
  }),
});

export const NativeRequest = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          ...Item.properties,
          toolset: Type.Optional(ToolsetDeclaration),
        },
        { additionalProperties: false },
      ),
      { description: 'Items to score; one reward each, in order.' },
    ),
    options: Type.Optional(
      Type.Object(
        {
          timeout_ms: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 3_600_000, description: 'Deadline for the whole request.' }),
          ),
          toolset: Type.Optional(ToolsetDeclaration),
          compact: Type.Optional(
            Type.Boolean({
              description:
                'Answer only `rewards` and `failed` (the items that got their fallback reward, and why): no per-item ' +
                'results, so a large batch costs less to answer and to read.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Native request' },
);

export const NativeResponse = Type.Object(
  {
    rewards: Type.Array(Type.Number()),
    results: Type.Array(
      Type.Intersect([Type.Object({ id: Type.Union([Type.String(), Type.Number()]) }), ItemResult]),
    ),
  },
  { title: 'Native response' },
);

export const NativeCompactResponse = Type.Object(
  {
    rewards: Type.Array(Type.Number()),
    failed: Type.Array(
      Type.Object({
        index: Type.Integer({ description: 'Position of the item in the request.' }),
        id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
        error: Type.Optional(Type.String({ description: 'Why the item got its fallback reward.' })),
        unscored: Type.Optional(Type.Literal(true, { description: 'The request deadline passed before the item was scored.' })),
        abstained: Type.Optional(
          Type.Literal(true, { description: 'Open-ended with no quality signal and RLAR_OPEN_ENDED=abstain: no reward given.' }),
        ),
      }),
      {
        description:
          'The items that got their fallback reward (an error, the deadline, or an abstention); empty when none did.',
      },
    ),
  },
  { title: 'Native compact response', description: 'With `options.compact: true`.' },
);

export const OpenRLHFRequest = Type.Object(
  {
    query: Type.Array(Type.String(), { description: 'Each query is the prompt followed by the response.' }),
    prompts: Type.Optional(Type.Array(Type.String())),
    labels: Type.Optional(Type.Array(Reference, { description: 'References of any JSON type; null for none.' })),
  },
  { additionalProperties: true, title: 'OpenRLHF request' },
);

export const OpenRLHFResponse = Type.Object(
  {
    rewards: Type.Array(Type.Number()),
    scores: Type.Array(Type.Number()),
    extra_logs: Type.Object(
      {
        error: Type.Array(Type.Number(), { description: '1 where the item got its fallback reward because of an error.' }),
        unscored: Type.Array(Type.Number(), { description: '1 where the request deadline passed before scoring.' }),
        format_only: Type.Array(Type.Number(), { description: '1 where the reward checks format only (no quality signal).' }),
        prompt_not_found: Type.Array(Type.Number(), {
          description: '1 where the prompt was not found in the query, so the whole query was scored as the response.',
        }),
      },
      { additionalProperties: Type.Array(Type.Number()) },
    ),
  },
  { title: 'OpenRLHF response' },
);

export const SlimeRequest = Type.Object(
  {
    prompt: Prompt,
    response: Type.String(),
    label: Type.Optional(Reference),
    task: Item.properties.task,
    metadata: Item.properties.metadata,
  },
  { additionalProperties: true, title: 'slime request' },
);

export const SlimeResponse = Type.Intersect([ItemResult], { title: 'slime response' });

export const RewardQuery = Type.Object({
  format: Type.Optional(
    Type.Literal('number', {
      description: 'slime only: answer the bare reward (e.g. `0.75`), which stock slime reads with no --reward-key.',
    }),
  ),
});

export const RewardRequest = Type.Union([NativeRequest, OpenRLHFRequest, SlimeRequest], {
  description:
    'Three dialects, told apart by their keys: `items` (native), `query` (OpenRLHF), `response` (slime). ' +
    'The answer is in the same dialect.',
});

export const RewardResponse = Type.Union([
  NativeResponse,
  NativeCompactResponse,
  OpenRLHFResponse,
  SlimeResponse,
  Type.Number({ title: 'slime bare reward', description: 'With `?format=number`.' }),
]);

export type NativeItem = Static<typeof Item>;
export type NativeRequest = Static<typeof NativeRequest>;
export type OpenRLHFRequest = Static<typeof OpenRLHFRequest>;
export type SlimeRequest = Static<typeof SlimeRequest>;
export type ItemResult = Static<typeof ItemResult>;
export type RewardResponse = Static<typeof RewardResponse>;
export type RewardQuery = Static<typeof RewardQuery>;
