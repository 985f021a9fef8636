import { Type } from 'typebox';
import { Item } from '../../protocol/schemas.ts';

export const ToolInfo = Type.Object({
  name: Type.String(),
  kind: Type.String({ description: 'verifier, reward_model, judge or synthesized' }),
  description: Type.String(),
  needs_reference: Type.Boolean(),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON schema of the params.' })),
});

export const ToolList = Type.Object({ tools: Type.Array(ToolInfo) });

export const ToolName = Type.Object({ name: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }) });

/** The item shape, with `prompt` optional: a user checking a metric may have none. */
const ToolItem = Type.Object(
  { ...Item.properties, prompt: Type.Optional(Item.properties.prompt) },
  { additionalProperties: false },
);

export const ToolScoreRequest = Type.Object(
  {
    items: Type.Array(ToolItem),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The tool's params." })),
  },
  { additionalProperties: false },
);

export const ToolScoreResponse = Type.Object({
  scores: Type.Array(Type.Number({ description: 'Raw score in [0, 1]; 0 for an item with an error.' })),
  details: Type.Array(
    Type.Object({
      detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      error: Type.Optional(Type.String()),
      unscored: Type.Optional(Type.Literal(true, { description: 'The request deadline passed before the item was scored.' })),
      abstained: Type.Optional(Type.Boolean({ description: 'The tool gave no score for this item (a Python function returned None).' })),
    }),
  ),
});
