import { Type, type Static } from 'typebox';
import type { ToolRegistry } from '../tools/registry.ts';
import { Toolset, toolsetHash, toolsetProblems, withHash } from '../tools/toolset.ts';
import { readStructuredFile } from '../util/structured-file.ts';
import type { ToolsetStore } from './toolset-store.ts';

/**
 * A snapshot: the current toolset of every signature, with versions and content hashes, as
 * `rlar toolsets export` writes it and `rlar serve --toolsets FILE` reads it.
 */
const Snapshot = Type.Object(
  {
    rlar_snapshot: Type.Literal(1, { description: 'The format version.' }),
    exported_at: Type.Optional(Type.String()),
    toolsets: Type.Array(Toolset),
  },
  { additionalProperties: false, title: 'Snapshot' },
);

type Snapshot = Static<typeof Snapshot>;

export async function exportSnapshot(store: ToolsetStore): Promise<Snapshot> {
  return { rlar_snapshot: 1, exported_at: new Date().toISOString(), toolsets: (await store.list()).map(withHash) };
}

/**
 * The toolsets of a snapshot file, checked: the shape, the tools against this build, one toolset per
 * signature, and each `toolset_hash` against its content (an edited or corrupted entry would score
 * differently from the run it claims to reproduce). Throws a FileError naming the line.
 */
export function readSnapshot(file: string, registry: ToolRegistry): Toolset[] {
  const parsed = readStructuredFile<Snapshot>(file, Snapshot);
  const seen = new Set<string>();
  return parsed.value.toolsets.map((entry, i) => {
    const problem = toolsetProblems(entry, registry)[0];
    if (problem) throw parsed.problem(['toolsets', i, ...problem.path], problem.message);
    if (seen.has(entry.signature)) throw parsed.problem(['toolsets', i, 'signature'], `"${entry.signature}" appears twice`);
    seen.add(entry.signature);
    const { toolset_hash: claimed, ...toolset } = entry;
    if (claimed !== undefined && claimed !== toolsetHash(toolset)) {
      throw parsed.problem(['toolsets', i, 'toolset_hash'], `does not match the toolset's content (${toolsetHash(toolset)}): the entry was changed after export`);
    }
    return toolset;
  });
}
