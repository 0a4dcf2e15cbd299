/** `npm start`: Bulwark in one process with the embedded SQLite store; no external service needed. */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';

await serve('all-in-one', buildApp);
