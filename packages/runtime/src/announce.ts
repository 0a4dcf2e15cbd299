/**
 * Where a recorded alert is announced so the responder can start the runs it triggers: a job on the responders'
 * queue. Every process that records alerts (the API's intake, a correlator) gets the same announcer from its root;
 * a process without responders gets none, and the responder's rescan of recent alerts at start covers a notice lost
 * with a crash.
 */
import type { Logger } from 'pino';
import type { JobQueue } from '@bulwark/bus';
import { BulwarkError } from '@bulwark/schema';
import type { ResponderJob } from './bus.js';

export interface AlertNotice {
  alertId: string;
  incidentId: string | null;
  outcome: string;
}

/** Tells the responders about a recorded alert; rejects with BWK_BUS_UNAVAILABLE when it could not. */
export type AlertAnnouncer = (notice: AlertNotice) => Promise<void>;

/**
 * Announces on `queue`. The queue's `add` is bounded in time (JobQueue contract, 3 s by default): when it cannot take
 * the notice, the recording answers 503 BWK_BUS_UNAVAILABLE (the alert is stored; the sender's retry is recognised as
 * a duplicate and announced again).
 */
export function queueAnnouncer(queue: JobQueue<ResponderJob>, logger: Logger): AlertAnnouncer {
  return async (notice) => {
    try {
      await queue.add({ kind: 'alert', alertId: notice.alertId, incidentId: notice.incidentId });
    } catch (err) {
      logger.warn({ err, alert: notice.alertId }, 'could not announce the alert to the responders');
      throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the alert was stored but could not be handed to the responders; retry later', { alert: notice.alertId });
    }
  };
}
