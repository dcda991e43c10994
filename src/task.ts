/** @deprecated Temporary re-export while the pool moves to `./synthesizer/task.js`. */
export type { TaskMetrics, TaskOutcome } from './synthesizer/task-metrics.js';
