/** The console's entry: theme first (no flash of the wrong palette), then the app. */
import { render } from 'preact';
import { App } from './app.js';
import { applyTheme, storedTheme } from './theme.js';

applyTheme(storedTheme());
render(<App />, document.getElementById('app')!);
