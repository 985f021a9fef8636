import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Toolset, ToolsetPlan } from '../tools/toolset.ts';
import { boundedCache } from '../util/bounded-cache.ts';
import type { ReleaseLock, ToolsetStore } from './toolset-store.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS toolset_versions (
    signature TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (signature, version)
  );
  CREATE TABLE IF NOT EXISTS current_toolsets (signature TEXT PRIMARY KEY, version INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS planning_locks (signature TEXT PRIMARY KEY, token TEXT NOT NULL, expires INTEGER NOT NULL);
`;

/** The store's file in a data directory. */
export function storeFile(directory: string): string {
  return join(directory, 'toolsets.sqlite');
}

/**
 * Toolsets in a SQLite file (Node's built-in `node:sqlite`), for embedded mode: every version of every
 * signature survives restarts and crashes. The write-ahead log makes each committed write durable
 * against the process being killed, and lets several processes share one data directory (the planning
 * lock is a row, so they never plan a signature twice). Calls are synchronous and small (one row).
 */
export class SqliteToolsetStore implements ToolsetStore {
  readonly #db: DatabaseSync;
  /**
   * Parsed toolsets by signature and version. A version's row never changes, so a request reads only
   * the current version number (other processes may have added one) and parses a toolset once.
   */
  readonly #parsed = boundedCache<Toolset>(1024);
  /** Every request reads the current version: its statement is compiled once, not per request. */
  readonly #currentVersion: StatementSync;

  /** Opens (or creates) `toolsets.sqlite` in `directory`. */
  constructor(directory: string) {
    mkdirSync(directory, { recursive: true });
    this.#db = new DatabaseSync(storeFile(directory));
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.#db.exec(SCHEMA);
    this.#currentVersion = this.#db.prepare('SELECT version FROM current_toolsets WHERE signature = ?');
  }

  /** Runs `work` in one write transaction (taken at once, so concurrent writers queue instead of failing). */
  #write<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async get(signature: string): Promise<Toolset | undefined> {
    const current = this.#currentVersion.get(signature) as { version: number } | undefined;
    if (current === undefined) return undefined;
    return this.#parsed(`${signature}\0${current.version}`, () => {
      const row = this.#db
        .prepare('SELECT json FROM toolset_versions WHERE signature = ? AND version = ?')
        .get(signature, current.version) as { json: string };
      return JSON.parse(row.json) as Toolset;
    });
  }

  async put(plan: ToolsetPlan): Promise<Toolset> {
    return this.#write(() => {
      const { last } = this.#db
        .prepare('SELECT coalesce(max(version), 0) AS last FROM toolset_versions WHERE signature = ?')
        .get(plan.signature) as { last: number };
      const toolset: Toolset = { ...plan, version: last + 1, createdAt: new Date().toISOString() };
      this.#db.prepare('INSERT INTO toolset_versions (signature, version, json) VALUES (?, ?, ?)').run(plan.signature, toolset.version, JSON.stringify(toolset));
      this.#db
        .prepare('INSERT INTO current_toolsets (signature, version) VALUES (?, ?) ON CONFLICT (signature) DO UPDATE SET version = excluded.version')
        .run(plan.signature, toolset.version);
      return toolset;
    });
  }

  async list(): Promise<Toolset[]> {
    const rows = this.#db
      .prepare('SELECT v.json FROM current_toolsets c JOIN toolset_versions v USING (signature, version) ORDER BY c.signature')
      .all() as { json: string }[];
    return rows.map((row) => JSON.parse(row.json) as Toolset);
  }

  async versions(signature: string): Promise<Toolset[]> {
    const rows = this.#db.prepare('SELECT json FROM toolset_versions WHERE signature = ? ORDER BY version').all(signature) as { json: string }[];
    return rows.map((row) => JSON.parse(row.json) as Toolset);
  }

  async delete(signature: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM current_toolsets WHERE signature = ?').run(signature).changes === 1;
  }

  async lockPlanning(signature: string, ttlMs: number): Promise<ReleaseLock | undefined> {
    const token = randomUUID();
    const taken = this.#write(() => {
      const now = Date.now();
      this.#db.prepare('DELETE FROM planning_locks WHERE signature = ? AND expires < ?').run(signature, now);
      return this.#db.prepare('INSERT OR IGNORE INTO planning_locks (signature, token, expires) VALUES (?, ?, ?)').run(signature, token, now + ttlMs).changes === 1;
    });
    if (!taken) return undefined;
    return async () => {
      this.#db.prepare('DELETE FROM planning_locks WHERE signature = ? AND token = ?').run(signature, token);
    };
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
