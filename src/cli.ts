#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, redactUrl, type Config } from './config.ts';
import { ThreadPoolRunner } from './execution/embedded/thread-pool-runner.ts';
import { QueueWorker } from './execution/queue/queue-worker.ts';
import { removeLeftoverWorkDirs } from './sandbox/process-sandbox.ts';
import { buildApp } from './server/app.ts';
import { IN_MEMORY, openToolsetStore } from './store/open.ts';
import { exportSnapshot } from './store/snapshot.ts';
import { storeFile } from './store/sqlite.ts';
import { evalCommand } from './cli/eval.ts';
import { scoreCommand } from './cli/score.ts';
import { messageOf } from './util/errors.ts';
import { VERSION } from './version.ts';

const USAGE = `rlar ${VERSION}: reward service for RL on language models

Usage:
  rlar serve [--workers N]       run the HTTP API (env: PORT, HOST, REDIS_URL, RLAR_API_KEYS, ...; see README).
                                 With REDIS_URL, also runs N queue workers in this process (default 1; 0: API only)
      [--recipes FILE]           declared toolsets that win over the planner (YAML or JSON; env RLAR_RECIPES)
      [--toolsets FILE]          serve the toolsets of a snapshot (from rlar toolsets export)
      [--frozen]                 with --toolsets: plan and re-plan nothing; unknown signatures get an error
  rlar toolsets export           print the current toolsets as a JSON snapshot, read from the store of
                                 REDIS_URL or RLAR_DATA_DIR (a running service may keep using it)
  rlar worker [--concurrency N]  run a queue worker (needs REDIS_URL); N jobs at once (default: RLAR_THREADS)
  rlar score FILE --out OUT.jsonl
                                 score every row of a JSONL or Parquet file (rlar score --help)
  rlar eval FILE --out DIR       accuracy on preference data: DIR/result.json, DIR/report.html (rlar eval --help)
  rlar openapi                   print the OpenAPI document (YAML) the server serves at /docs/json
  rlar --version                 print the version
`;

function count(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1024) throw new ConfigError(`${flag}=${value} is not valid: expected an integer from 0 to 1024`);
  return n;
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits. */
function onShutdown(stop: () => Promise<void>, log: (message: string) => void): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing the work in flight, then exiting`);
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function serve(config: Config, workers: number): Promise<void> {
  await removeLeftoverWorkDirs({ ownToo: true });
  const app = await buildApp(config, { inProcessWorkers: workers });
  onShutdown(() => app.close(), (message) => app.log.info(message));
  await app.listen({ port: config.port, host: config.host });
}

async function work(config: Config, concurrency: number): Promise<void> {
  if (config.redisUrl === undefined) throw new ConfigError('rlar worker needs REDIS_URL (the queue it takes jobs from)');
  await removeLeftoverWorkDirs({ ownToo: true });
  const threads = new ThreadPoolRunner({ threads: concurrency, maxHeapMb: config.threadHeapMb, tools: config.tools });
  const worker = new QueueWorker(config.redisUrl, threads, { concurrency, jobLockMs: config.jobLockMs });
  onShutdown(
    async () => {
      await worker.close();
      await threads.close();
    },
    (message) => process.stderr.write(`rlar worker: ${message}\n`),
  );
  await worker.ready();
  process.stderr.write(`rlar worker: taking jobs from ${redactUrl(config.redisUrl)}, ${concurrency} at a time\n`);
}

async function exportToolsets(config: Config): Promise<void> {
  if (config.redisUrl === undefined) {
    if (config.dataDir === IN_MEMORY) throw new ConfigError(`RLAR_DATA_DIR is ${IN_MEMORY}: there is no store to export`);
    if (!existsSync(storeFile(config.dataDir))) throw new ConfigError(`no toolset store in RLAR_DATA_DIR="${config.dataDir}" (${storeFile(config.dataDir)} does not exist)`);
  }
  const store = openToolsetStore(config, 'command');
  try {
    process.stdout.write(`${JSON.stringify(await exportSnapshot(store), null, 2)}\n`);
  } finally {
    await store.close();
  }
}

async function printOpenApi(): Promise<void> {
  // Documented as served by a default configuration; nothing listens.
  const app = await buildApp({ ...loadConfig({ RLAR_DATA_DIR: ':memory:' }), threads: 1 }, { logger: false });
  await app.ready();
  process.stdout.write(app.swagger({ yaml: true }));
  await app.close();
}

async function main(argv: string[]): Promise<number> {
  // These commands parse their own flags.
  if (argv[0] === 'score') return scoreCommand(argv.slice(1));
  if (argv[0] === 'eval') return evalCommand(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      recipes: { type: 'string' },
      toolsets: { type: 'string' },
      frozen: { type: 'boolean' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // `rlar serve --help` once started the service (on the default data directory): help comes first.
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, subcommand] = positionals;
  switch (command) {
    case 'serve': {
      const config = loadConfig();
      await serve(
        {
          ...config,
          recipesFile: values.recipes ?? config.recipesFile,
          snapshotFile: values.toolsets,
          frozen: values.frozen === true,
        },
        count(values.workers, '--workers', 1),
      );
      return -1; // keeps running
    }
    case 'toolsets':
      if (subcommand !== 'export') break;
      await exportToolsets(loadConfig());
      return 0;
    case 'worker': {
      const config = loadConfig();
      await work(config, Math.max(1, count(values.concurrency, '--concurrency', config.threads)));
      return -1;
    }
    case 'openapi':
      await printOpenApi();
      return 0;
  }
  process.stdout.write(USAGE);
  return command === undefined ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const prefix = error instanceof ConfigError ? 'configuration error' : 'rlar failed';
    process.stderr.write(`${prefix}: ${messageOf(error)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
