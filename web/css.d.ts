/** Stylesheets imported for their side effect; esbuild bundles them into dist/main.css. */
declare module '*.css';
