// Entry point of each thread of the embedded pool: its own tool registry, the shared task code.
import { builtinRegistry } from '../../tools/builtin.ts';
import { scoreTask, type ScoreTask, type ScoreTaskResult } from '../score-task.ts';

const registry = builtinRegistry();

export default function run(task: ScoreTask): Promise<ScoreTaskResult> {
  return scoreTask(registry, task);
}
