// Entry point of each thread of the embedded pool: its own tool registry, the shared task code.
import { workerData } from 'node:worker_threads';
import { builtinRegistry } from '../../tools/builtin.ts';
import { configureTools, type ToolSettings } from '../../tools/settings.ts';
import { scoreTask, type ScoreTask, type ScoreTaskResult } from '../score-task.ts';

configureTools(workerData as ToolSettings);
const registry = builtinRegistry();

export default function run(task: ScoreTask): Promise<ScoreTaskResult> {
  return scoreTask(registry, task);
}
