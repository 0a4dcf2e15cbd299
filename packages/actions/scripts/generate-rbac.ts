/** Writes deploy/responder-clusterrole.yaml from the actions' declared RBAC needs (`npm run rbac:generate`). */
import { writeFileSync } from 'node:fs';
import { ACTIONS, rbacManifest } from '../src/index.js';

const target = new URL('../../../deploy/responder-clusterrole.yaml', import.meta.url);
writeFileSync(target, rbacManifest(ACTIONS.values()));
process.stdout.write(`wrote ${target.pathname}\n`);
