/** `npm run start:collector`: the collector alone (scale mode runs it beside a separate api). */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';

// The collector stores logs and publishes them to the bus; alerts and incidents belong to the api and correlator.
await serve('collector', buildApp, { cases: false, bus: true });
