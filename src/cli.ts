#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { buildApp } from './server/app.ts';
import { messageOf } from './util/errors.ts';
import { VERSION } from './version.ts';

const USAGE = `rlar ${VERSION}: reward service for RL on language models

Usage:
  rlar serve      run the HTTP API (env: PORT, HOST, RLAR_API_KEYS, ...; see README)
  rlar worker     run a distributed worker (needs REDIS_URL; not available in this version)
  rlar openapi    print the OpenAPI document (YAML) the server serves at /docs/json
  rlar --version  print the version
`;

async function serve(config: Config): Promise<void> {
  const app = await buildApp(config);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
}

async function printOpenApi(): Promise<void> {
  // Documented as served by a default configuration; nothing listens.
  const app = await buildApp({ ...loadConfig({}), threads: 1 }, { logger: false });
  await app.ready();
  process.stdout.write(app.swagger({ yaml: true }));
  await app.close();
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command] = positionals;
  switch (command) {
    case 'serve':
      await serve(loadConfig());
      return -1; // keeps running
    case 'openapi':
      await printOpenApi();
      return 0;
    case 'worker':
      process.stderr.write('rlar worker: distributed mode (REDIS_URL, BullMQ) is not available in this version\n');
      return 2;
    default:
      process.stdout.write(USAGE);
      return command === undefined || values.help ? 0 : 2;
  }
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
