// The chart moved to views/chart.ts (views may import only views); the campaign pages import it from here
// until they move into views/ too.
export * from './views/chart.js';
