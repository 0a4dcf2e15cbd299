import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_BASE_PATH, CONSOLE_BUNDLE_DIR, consoleBundleBuilt } from '../src/index.js';

const appDir = fileURLToPath(new URL('../app/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test('the node entry names the bundle npm install builds, with its index.html', () => {
  assert.ok(CONSOLE_BUNDLE_DIR.endsWith('/packages/console/bundle/'), CONSOLE_BUNDLE_DIR);
  assert.ok(consoleBundleBuilt(), 'packages/console/bundle/index.html is missing: run `npm run build`');
  assert.equal(CONSOLE_BASE_PATH, '/console/');
});

test('the built page loads only hashed files under /console/assets/ and has no inline script or style (CSP)', () => {
  const html = readFileSync(join(CONSOLE_BUNDLE_DIR, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs!, /\bsrc="\/console\/assets\/[\w.-]+\.js"/);
    assert.equal(body!.trim(), '', 'an inline script would be refused by script-src \'self\'');
  }
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle=/);
  // Stylesheets and the icon (a file, so browsers stop asking for /favicon.ico, which is not the console's).
  for (const [, href] of html.matchAll(/<link\b[^>]*href="([^"]+)"/g)) assert.match(href!, /^\/console\/assets\/[\w.-]+\.(css|svg)$/);
  assert.match(html, /<link rel="icon" type="image\/svg\+xml" href="\/console\/assets\/favicon-[\w-]{8}\.svg"/);
  const assets = readdirSync(join(CONSOLE_BUNDLE_DIR, 'assets'));
  assert.ok(assets.every((a) => /-[\w-]{8}\.(js|css|svg)$/.test(a)), `unhashed asset in ${assets.join(', ')}`);
  for (const asset of assets.filter((a) => !a.endsWith('.svg'))) assert.doesNotMatch(readFileSync(join(CONSOLE_BUNDLE_DIR, 'assets', asset), 'utf8'), /https?:\/\/(fonts|cdn)\./);
});

test('the app sources never write HTML or a style attribute as a string', () => {
  for (const file of files(appDir).filter((f) => /\.(tsx?|html)$/.test(f))) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /dangerouslySetInnerHTML|\.innerHTML\s*=|insertAdjacentHTML|document\.write/, file);
    assert.doesNotMatch(text, /\sstyle="|setAttribute\(\s*['"]style['"]|<style\b/, file);
  }
});
