/** `npm run start:api`: the search API alone. */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';

await serve('api', buildApp);
