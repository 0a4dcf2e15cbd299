/**
 * @bulwark/bus: how stored event batches reach the correlators, and the responders' job queue; and the Redis adapter of detection's correlation state. Services import the
 * ports (`Bus`, `JobQueue`); start-up wiring picks the embedded adapters (`LocalBus`, an outbox cursor over the SQLite
 * store; `LocalJobQueue`, a SQLite table) or the scale ones (`BullmqBus`, `BullmqJobQueue`: Redis).
 */
export * from './port.js';
export { LocalBus, type LocalBusOptions } from './local/local-bus.js';
export { BUS_OFFSETS_DDL } from './local/group-cursor.js';
export { BullmqBus, jobIdOf, queueNameOf, type BullmqBusOptions } from './bullmq/bullmq-bus.js';
export {
  QUEUE_NAME, jobRetryDelayMs, type AddOptions, type JobErrorListener, type JobFailure, type JobQueue, type JobQueueSettings,
  type ProcessOptions,
} from './jobs/port.js';
export { LocalJobQueue, JOB_QUEUE_DDL, type LocalJobQueueOptions } from './jobs/local-job-queue.js';
export { BullmqJobQueue, type BullmqJobQueueOptions } from './jobs/bullmq-job-queue.js';
export { RedisCorrelationState, type RedisCorrelationStateOptions } from './correlation/redis-correlation-state.js';
export { pingRedis, REDIS_PING_TIMEOUT_MS } from './redis-ping.js';
