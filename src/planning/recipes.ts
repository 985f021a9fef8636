import { Type, type Static } from 'typebox';
import type { ToolRegistry } from '../tools/registry.ts';
import { declaredPlan, toolsetProblems, ToolsetDeclaration, type Toolset } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';
import { readStructuredFile } from '../util/structured-file.ts';

/**
 * Reward recipes: rules a user declares in a file (`rlar serve --recipes FILE`), each matching items
 * by task hint, signature or metadata and giving their toolset. The first rule that matches an item
 * wins over the stored and planned toolsets. Recipes are configuration, not state: they are not
 * stored, their toolsets have version 0, and the file is their history.
 */

const Glob = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

const RecipeRule = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    match: Type.Object(
      {
        task: Type.Optional(Glob('Glob on the item\'s task hint, case-insensitive: "openai/gsm8k", "*gsm8k*".')),
        signature: Type.Optional(Glob('Glob on the task signature: "math.*", "*+think".')),
        metadata: Type.Optional(
          Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
            minProperties: 1,
            description: 'Fields of the item\'s metadata (dotted paths reach inside): strings are globs, numbers and booleans equal.',
          }),
        ),
      },
      { additionalProperties: false, minProperties: 1, description: 'Every condition given must hold.' },
    ),
    toolset: ToolsetDeclaration,
  },
  { additionalProperties: false },
);

const RecipeFile = Type.Object({ rules: Type.Array(RecipeRule, { maxItems: 1000 }) }, { additionalProperties: false });

type RecipeRule = Static<typeof RecipeRule>;

/** `*` any run of characters, `?` one character; everything else literal; the whole text must match. */
function globRegExp(glob: string, flags = ''): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, `s${flags}`);
}

function fieldAt(metadata: Record<string, unknown> | undefined, path: string): unknown {
  let value: unknown = metadata;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

interface CompiledRule {
  toolset: Toolset;
  matches(item: ScoringItem, signature: string): boolean;
}

function compile(rule: RecipeRule, toolset: Toolset): CompiledRule {
  const task = rule.match.task === undefined ? undefined : globRegExp(rule.match.task, 'i');
  const signature = rule.match.signature === undefined ? undefined : globRegExp(rule.match.signature);
  const metadata = Object.entries(rule.match.metadata ?? {}).map(([path, expected]) => {
    const glob = typeof expected === 'string' ? globRegExp(expected) : undefined;
    return (item: ScoringItem) => {
      const value = fieldAt(item.metadata, path);
      if (glob) return (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && glob.test(String(value));
      return value === expected;
    };
  });
  return {
    toolset,
    matches: (item, sig) =>
      (task === undefined || (item.task !== undefined && task.test(item.task))) &&
      (signature === undefined || signature.test(sig)) &&
      metadata.every((test) => test(item)),
  };
}

export class Recipes {
  readonly #rules: CompiledRule[];

  /** Rules already checked (`loadRecipes`); `source` names them in rationales. */
  constructor(rules: readonly RecipeRule[], source: string) {
    this.#rules = rules.map((rule, i) => {
      const name = rule.name ?? `rule ${i + 1}`;
      const plan = declaredPlan(`recipe:${name}`, rule.toolset, 'recipe', `${source}: ${name}`);
      return compile(rule, { ...plan, version: 0, createdAt: new Date(0).toISOString() });
    });
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The toolset of the first rule that matches the item, or undefined. */
  match(item: ScoringItem, signature: string): Toolset | undefined {
    return this.#rules.find((rule) => rule.matches(item, signature))?.toolset;
  }
}

/** Reads and checks a recipe file; throws a FileError naming the file, the line and the field. */
export function loadRecipes(file: string, registry: ToolRegistry): Recipes {
  const parsed = readStructuredFile<Static<typeof RecipeFile>>(file, RecipeFile);
  parsed.value.rules.forEach((rule, i) => {
    const problem = toolsetProblems(rule.toolset, registry)[0];
    if (problem) throw parsed.problem(['rules', i, 'toolset', ...problem.path], problem.message);
  });
  return new Recipes(parsed.value.rules, file);
}
