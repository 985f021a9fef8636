import { ToolInputError, type ScoringItem, type ToolDefinition } from '../../types.ts';
import { INSTRUCTION_CHECKS, LANGUAGE_CHECKS, type InstructionCheck, type InstructionKwargs } from './checks.ts';
import { loadLanguageProfiles } from './langdetect.ts';

interface Instruction {
  id: string;
  check: InstructionCheck;
  kwargs: InstructionKwargs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The item's instructions as IFEval data ships them, `{instruction_id_list, kwargs}`, from metadata or the reference. */
function readInstructions(item: ScoringItem, tool: string): Instruction[] {
  const source = isRecord(item.metadata) && item.metadata.instruction_id_list !== undefined
    ? item.metadata
    : isRecord(item.reference)
      ? item.reference
      : {};
  const ids = source.instruction_id_list;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
    throw new ToolInputError(
      `${tool} needs "instruction_id_list" (a non-empty list of IFEval instruction ids) in metadata or in an object reference`,
    );
  }
  const unknown = ids.filter((id) => !INSTRUCTION_CHECKS.has(id));
  if (unknown.length > 0) {
    throw new ToolInputError(
      `${tool}: unknown instruction id(s) ${unknown.join(', ')}; known: ${[...INSTRUCTION_CHECKS.keys()].join(', ')}`,
    );
  }
  const kwargsList = source.kwargs ?? ids.map(() => ({}));
  if (!Array.isArray(kwargsList) || kwargsList.length !== ids.length) {
    throw new ToolInputError(`${tool}: "kwargs" must be a list with one entry per instruction id`);
  }
  return ids.map((id, index) => {
    const entry: unknown = kwargsList[index] ?? {};
    if (!isRecord(entry)) throw new ToolInputError(`${tool}: ${id}: kwargs must be an object`);
    // IFEval data lists every argument of every instruction, null where unused.
    const kwargs = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== null));
    return { id, check: INSTRUCTION_CHECKS.get(id)!, kwargs };
  });
}

/** IFEval's loose variants: the response without its first line, last line or both, each also without `*`. */
function looseVariants(response: string): string[] {
  const lines = response.split('\n');
  const cut = [
    response,
    lines.slice(1).join('\n').trim(),
    lines.slice(0, -1).join('\n').trim(),
    lines.slice(1, -1).join('\n').trim(),
  ];
  return [...cut, ...cut.map((variant) => variant.replaceAll('*', ''))];
}

function follows(instruction: Instruction, response: string, prompt: string, tool: string): boolean {
  try {
    return instruction.check(response, instruction.kwargs, prompt);
  } catch (error) {
    if (error instanceof ToolInputError) throw new ToolInputError(`${tool}: ${instruction.id}: ${error.message}`);
    throw error;
  }
}

function instructionsTool(name: string, loose: boolean): ToolDefinition {
  return {
    name,
    kind: 'verifier',
    description: loose
      ? 'IFEval instruction following, loose: like `instructions`, but an instruction also counts as followed when it ' +
        'holds with the first and/or last line removed or with `*` removed.'
      : 'IFEval instruction following (strict): the fraction of the verifiable instructions in metadata (or an object ' +
        'reference) `{"instruction_id_list": [...], "kwargs": [...]}` that the response follows.',
    needsReference: false,
    readsPrompt: true,
    async score(item) {
      const instructions = readInstructions(item, name);
      if (instructions.some((instruction) => LANGUAGE_CHECKS.has(instruction.id))) await loadLanguageProfiles();
      // A blank response, or variant, follows nothing (as in IFEval).
      const candidates = [...new Set(loose ? looseVariants(item.response) : [item.response])].filter(
        (candidate) => candidate.trim() !== '',
      );
      const results = instructions.map((instruction) => ({
        id: instruction.id,
        followed: candidates.some((candidate) => follows(instruction, candidate, item.prompt, name)),
      }));
      const followed = results.filter((result) => result.followed).length;
      return {
        score: followed / results.length,
        detail: { instructions: results, followed, total: results.length, all_followed: followed === results.length },
      };
    },
  };
}

export const instructionTools: ToolDefinition[] = [instructionsTool('instructions', false), instructionsTool('instructions_loose', true)];
