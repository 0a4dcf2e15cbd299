import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageTitle } from '../app/lib/page-title.js';

test('each console page has its own document title, an item page names its id', () => {
  assert.equal(pageTitle('/alerts'), 'Alerts · Bulwark');
  assert.equal(pageTitle('/alerts/a%2F1'), 'Alert a/1 · Bulwark');
  assert.equal(pageTitle('/incidents/inc-1'), 'Incident inc-1 · Bulwark');
  assert.equal(pageTitle('/runs'), 'Runs · Bulwark');
  assert.equal(pageTitle('/signin'), 'Sign in · Bulwark');
  assert.equal(pageTitle('/nowhere'), 'Bulwark console');
});
