// The browser UIs' build: three pages (the citizen's tracker, the auditor's console and the public
// transparency report) into dist/web, served by the gateways at /tracker/, /console/ and
// /transparency/ with their assets under /ui/assets/.
// Preact through the JSX transform; no inline scripts or styles, so a strict CSP holds.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
    root: here('.'),
    base: '/ui/',
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
        outDir: here('../dist/web'),
        emptyOutDir: true,
        // No inlined data: URLs for scripts; everything is a file under /ui/assets/.
        assetsInlineLimit: 0,
        modulePreload: { polyfill: false },
        rollupOptions: {
            input: {
                tracker: here('tracker/index.html'),
                console: here('console/index.html'),
                transparency: here('transparency/index.html'),
            },
        },
    },
});
