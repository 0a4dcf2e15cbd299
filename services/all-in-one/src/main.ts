/**
 * `npm start`: Bulwark in one process with the embedded SQLite store; no external service needed. The composition is
 * root.ts; a rule or playbook that fails to load stops the start with every problem listed.
 */
import { runService } from '@bulwark/runtime';
import { composeAllInOne } from './root.js';

await runService('all-in-one', async (core) => (await composeAllInOne(core)).app);
