// The layout moved to views/layout.ts (views may import only views); the console's other pages import it
// from here until they move into views/ too.
export * from './views/layout.js';
