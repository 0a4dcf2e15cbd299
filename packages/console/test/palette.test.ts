/**
 * The two palettes of app/styles/base.css meet WCAG 2.x AA contrast for every pairing the pages use, including the
 * ones an axe run of a page may not meet at the moment it runs (a badge on a selected or active row, a link on a hovered
 * one): text 4.5:1 (1.4.3), the boundaries of controls and the focus ring 3:1 against what surrounds them (1.4.11). And
 * the dark palette is one palette: the block applied from the system preference and the one the toggle applies are the
 * same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const css = readFileSync(new URL('../app/styles/base.css', import.meta.url), 'utf8');

/** The custom properties (`--name: #rrggbb;`) of the first rule block after `selector`. */
function palette(selector: string): Record<string, string> {
  const start = css.indexOf(selector);
  assert.ok(start >= 0, `${selector} in base.css`);
  const body = css.slice(css.indexOf('{', start) + 1, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1]!, m[2]!.toLowerCase()]));
}

/** WCAG relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const THEMES = {
  light: palette(':root {'),
  dark: palette(":root[data-theme='dark']"),
};

/** Text colours, and the backgrounds they are drawn on (the page, panels, and rows hovered, active or selected). */
const TEXT = ['fg', 'fg-muted', 'accent', 'danger', 'warn', 'ok', 'sev-info', 'sev-low', 'sev-medium', 'sev-high', 'sev-critical'];
const SURFACES = ['bg', 'panel', 'row-hover', 'row-active', 'row-selected'];

test('contrast ratio as WCAG defines it', () => {
  assert.equal(contrast('#000000', '#ffffff'), 21);
  assert.equal(contrast('#777777', '#777777'), 1);
  assert.ok(Math.abs(contrast('#767676', '#ffffff') - 4.54) < 0.01);
});

for (const [theme, p] of Object.entries(THEMES)) {
  test(`${theme}: every text colour on every surface is 4.5:1 or more`, () => {
    const low: string[] = [];
    for (const fg of TEXT) {
      for (const bg of SURFACES) {
        assert.ok(p[fg] && p[bg], `${theme} defines --${fg} and --${bg}`);
        const ratio = contrast(p[fg]!, p[bg]!);
        if (ratio < 4.5) low.push(`--${fg} ${p[fg]} on --${bg} ${p[bg]}: ${ratio.toFixed(2)}:1`);
      }
    }
    const primary = contrast(p['accent-fg']!, p.accent!);
    if (primary < 4.5) low.push(`--accent-fg on --accent (primary buttons): ${primary.toFixed(2)}:1`);
    assert.deepEqual(low, []);
  });

  test(`${theme}: the boundaries of controls and the focus ring stand out 3:1 from the surfaces`, () => {
    const low: string[] = [];
    for (const ui of ['control-border', 'focus']) {
      for (const bg of ['bg', 'panel']) {
        const ratio = contrast(p[ui]!, p[bg]!);
        if (ratio < 3) low.push(`--${ui} ${p[ui]} on --${bg} ${p[bg]}: ${ratio.toFixed(2)}:1`);
      }
    }
    assert.deepEqual(low, []);
  });
}

test('the dark palette from the system preference is the one the toggle applies', () => {
  const fromSystem = palette(":root:not([data-theme='light'])");
  assert.ok(Object.keys(fromSystem).length >= 20, 'the prefers-color-scheme block has the palette');
  assert.deepEqual(fromSystem, THEMES.dark);
});
