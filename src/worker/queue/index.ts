// Public API of the queue worker: BullMQ on Redis dispatches runs of a shared store to workers on many machines.
export { startQueueWorker } from './worker.ts';
export { jobIdOf, queueName, RunQueue, type Offer, type RunJobData } from './queue.ts';
export { maskQueueUrl, parseQueueUrl, type QueueTarget } from './url.ts';
export { planAfterDrive, planJob, type JobPlan } from './plan.ts';
export { sweep } from './sweep.ts';
export type { QueueWorker, QueueWorkerEvent, QueueWorkerOptions } from './types.ts';
