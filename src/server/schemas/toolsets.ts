import { Type } from 'typebox';

export const ToolSpec = Type.Object({
  tool: Type.String(),
  weight: Type.Number(),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const Toolset = Type.Object(
  {
    signature: Type.String(),
    version: Type.Integer(),
    planner: Type.String({ description: 'Which planner made it (heuristic, agent).' }),
    tools: Type.Array(ToolSpec),
    fallback: Type.Number({ description: 'Reward of an item whose tools fail.' }),
    rationale: Type.Array(Type.String(), { description: "The planner's reasons, one line per decision." }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Toolset' },
);

export const ToolsetList = Type.Object({ toolsets: Type.Array(Toolset) });

export const SignatureParam = Type.Object({ signature: Type.String({ pattern: '^[a-z0-9_.+-]{1,200}$' }) });
