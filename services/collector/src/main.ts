/** `npm run start:collector`: the collector alone (scale mode runs it beside a separate api). */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';

await serve('collector', buildApp);
