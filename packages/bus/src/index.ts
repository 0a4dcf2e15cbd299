/**
 * @bulwark/bus: how stored event batches reach the correlators. Services import the port (`Bus`); start-up wiring
 * picks `LocalBus` (embedded mode: an outbox cursor over the SQLite store) or `BullmqBus` (scale mode: Redis).
 */
export * from './port.js';
export { LocalBus, type LocalBusOptions } from './local/local-bus.js';
export { BUS_OFFSETS_DDL } from './local/group-cursor.js';
export { BullmqBus, jobIdOf, queueNameOf, type BullmqBusOptions } from './bullmq/bullmq-bus.js';
export { LocalJobQueue, BullmqJobQueue, type JobQueue, type BullmqJobQueueOptions } from './jobs/job-queue.js';
