/** The explorer routes (fields, top values, context, export, saved searches, pivot) on the embedded SQLite store. */
import { explorerSuite } from './explorer-suite.js';

explorerSuite('sqlite');
