/**
 * Entry point: applies the saved theme before the first paint, then mounts the app.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { loadPreferences } from './session/preferences.js';
import { applyTheme } from './theme/use-theme.js';
import './styles.css';

applyTheme(loadPreferences().theme);

const container = document.getElementById('root');
if (!container) throw new Error('LocalChat: #root is missing from index.html');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
