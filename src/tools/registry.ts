import type { ToolDefinition } from './types.ts';

/** Tools by name. One registry per process (or worker thread); planners read it, runners call it. */
export class ToolRegistry {
  readonly #tools = new Map<string, ToolDefinition>();

  register(tool: ToolDefinition): this {
    if (this.#tools.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  get(name: string): ToolDefinition | undefined {
    return this.#tools.get(name);
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  list(): ToolDefinition[] {
    return [...this.#tools.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
