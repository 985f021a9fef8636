import { ToolRegistry } from './registry.ts';
import { choice } from './verifiers/choice.ts';
import { codeTests } from './verifiers/code/index.ts';
import { exactMatch } from './verifiers/exact-match.ts';
import { instructionTools } from './verifiers/instructions/index.ts';
import { lengthPenalty, repetitionPenalty, thinkFormat } from './verifiers/format.ts';
import { jsonSchema } from './verifiers/json-schema.ts';
import { mathAnswer } from './verifiers/math/index.ts';
import { regexMatch } from './verifiers/regex-match.ts';
import { llmJudge } from './models/judge.ts';
import { rewardModel } from './models/reward-model.ts';
import { synthesized } from './synthesized/index.ts';
import { pythonFunction } from './python/index.ts';
import { textTools } from './verifiers/text/index.ts';

/** The registry of every built-in tool; each process and worker thread builds its own. */
export function builtinRegistry(): ToolRegistry {
  const registry = new ToolRegistry();
  for (const tool of [
    mathAnswer,
    exactMatch,
    choice,
    thinkFormat,
    lengthPenalty,
    repetitionPenalty,
    jsonSchema,
    regexMatch,
    codeTests,
    ...textTools,
    ...instructionTools,
    synthesized,
    pythonFunction,
    rewardModel,
    llmJudge,
  ]) {
    registry.register(tool);
  }
  return registry;
}
