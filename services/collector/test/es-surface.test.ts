/**
 * The Elasticsearch surface's error shape and product header apply by path (`isEsPath`, app-wide, before any route
 * matches); the routes come from the decoder registry. This keeps the two in step: every route of a decoder that
 * answers Elasticsearch-style is an Elasticsearch path, and no native decoder route is.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DECODERS } from '@bulwark/ingest';
import { expressPath } from '../src/decoder-routes.js';
import { isEsPath } from '../src/es-routes.js';

/** A request path for a documented route: placeholders filled the way a shipper would. */
const sample = (path: string) => path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => (name === 'index' ? 'logs-app-default' : `some-${name}`));

describe('the Elasticsearch surface and the registry', () => {
  it('every route of an Elasticsearch-style decoder is an Elasticsearch path, and no native route is', () => {
    for (const decoder of DECODERS.decoders) {
      for (const route of decoder.routes) {
        assert.equal(isEsPath(sample(route.path)), decoder.reply === 'es-bulk' || decoder.reply === 'es-doc', `${decoder.name} ${route.path}`);
      }
    }
  });

  it('documented placeholders become Express parameters (braces would mean optional in Express 5)', () => {
    assert.equal(expressPath('/{index}/_create/{id}'), '/:index/_create/:id');
    assert.equal(expressPath('/v1/ingest/events'), '/v1/ingest/events');
  });
});
