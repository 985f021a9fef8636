import { Type, type Static } from 'typebox';
import { Component, ToolsetDeclaration } from '../tools/toolset.ts';

/**
 * The wire shapes of `POST /reward` and the item shape shared by other routes: one definition each,
 * used for validation, for the TypeScript types and for the OpenAPI document.
 */

const OpenObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const ChatMessage = Type.Object({ role: Type.String(), content: Type.String() }, { additionalProperties: true });

export const Prompt = Type.Union([Type.String(), Type.Array(ChatMessage)], {
  description: 'The prompt: plain text, or chat messages ({"role","content"}).',
});

export const Reference = Type.Union(
  [Type.String(), Type.Array(Type.String()), OpenObject('Structured reference, e.g. test cases or {"answer": ...}.')],
  { description: 'The reference: one answer, several acceptable answers, or structured data.' },
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

export const OpenRLHFRequest = Type.Object(
  {
    query: Type.Array(Type.String(), { description: 'Each query is the prompt followed by the response.' }),
    prompts: Type.Optional(Type.Array(Type.String())),
    labels: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Null()]))),
  },
  { additionalProperties: true, title: 'OpenRLHF request' },
);

export const OpenRLHFResponse = Type.Object(
  {
    rewards: Type.Array(Type.Number()),
    scores: Type.Array(Type.Number()),
    extra_logs: Type.Object({ error: Type.Array(Type.Number()) }, { additionalProperties: Type.Array(Type.Number()) }),
  },
  { title: 'OpenRLHF response' },
);

export const SlimeRequest = Type.Object(
  {
    prompt: Prompt,
    response: Type.String(),
    label: Type.Optional(Type.Union([Reference, Type.Null()])),
    task: Item.properties.task,
    metadata: Item.properties.metadata,
  },
  { additionalProperties: true, title: 'slime request' },
);

export const SlimeResponse = Type.Intersect([ItemResult], { title: 'slime response' });

export const RewardRequest = Type.Union([NativeRequest, OpenRLHFRequest, SlimeRequest], {
  description:
    'Three dialects, told apart by their keys: `items` (native), `query` (OpenRLHF), `response` (slime). ' +
    'The answer is in the same dialect.',
});

export const RewardResponse = Type.Union([NativeResponse, OpenRLHFResponse, SlimeResponse]);

export type NativeItem = Static<typeof Item>;
export type NativeRequest = Static<typeof NativeRequest>;
export type OpenRLHFRequest = Static<typeof OpenRLHFRequest>;
export type SlimeRequest = Static<typeof SlimeRequest>;
export type ItemResult = Static<typeof ItemResult>;
export type RewardResponse = Static<typeof RewardResponse>;
