/**
 * `npm run start:correlator`: the correlator as its own process (scale mode). It consumes stored batches from the
 * bus (BullMQ when `bus.redis_url` is set), shares correlation windows through Redis, and writes alerts and incidents
 * to the case store. Run as many as the event rate needs: they split the batches and produce the alerts one would.
 */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';
import { startCorrelatorService } from './service.js';

await serve(
  'correlator',
  async (deps) => {
    const correlator = await startCorrelatorService(deps, deps.bus!);
    return buildApp(deps, correlator);
  },
  { cases: true, bus: true },
);
