import type { ToolRegistry } from '../tools/registry.ts';
import { declaredPlan, formatProblem, toolsetProblems, type Toolset, type ToolsetDeclaration } from '../tools/toolset.ts';
import { RequestError } from './errors.ts';
import { checkNesting } from './items.ts';
import type { NativeRequest } from './schemas.ts';

/**
 * Checks a toolset sent over HTTP against this build's tools; a problem is a 400 whose message names
 * the field under `path` (`body/options/toolset/tools/0/weight ...`).
 */
export function checkDeclaration(declared: ToolsetDeclaration, registry: ToolRegistry, path: string): void {
  checkNesting(declared, path);
  const problem = toolsetProblems(declared, registry)[0];
  if (problem) throw new RequestError(formatProblem(problem, path));
}

/**
 * Checks the params sent to one tool (`POST /tools/{name}/score`) as a toolset's params are checked: a
 * misspelt or ill-typed param is a 400 naming `path/<param>`, never silently ignored or defaulted.
 */
export function checkToolParams(tool: string, params: Record<string, unknown>, registry: ToolRegistry, path: string): void {
  checkNesting(params, path);
  const problem = toolsetProblems({ tools: [{ tool, params }] }, registry)[0];
  if (problem) throw new RequestError(formatProblem({ ...problem, path: problem.path.slice(3) }, path));
}

/** A toolset a request declares, checked. Not stored: its version is 0 and its hash identifies it. */
function requestToolset(declared: ToolsetDeclaration, registry: ToolRegistry, path: string): Toolset {
  checkDeclaration(declared, registry, path);
  return { ...declaredPlan('request', declared, 'request', 'declared in the request'), version: 0, createdAt: new Date().toISOString() };
}

/** The toolset of each item of a native request: its own, else the request's, else undefined (planned). */
export function requestToolsets(request: NativeRequest, registry: ToolRegistry): (Toolset | undefined)[] {
  const shared = request.options?.toolset && requestToolset(request.options.toolset, registry, 'body/options/toolset');
  return request.items.map((item, i) => (item.toolset ? requestToolset(item.toolset, registry, `body/items/${i}/toolset`) : shared));
}
