// Vite bundles the imported stylesheets.
declare module '*.css';
