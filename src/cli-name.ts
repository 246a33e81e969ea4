import { basename, isAbsolute, relative } from 'node:path';

/**
 * The command line's name in its help and hints, as it was started: `npm run -s cli --` through the
 * npm script, `node dist/src/cli.js` in the image, `npx tsx src/cli.ts` from a checkout, or the name of
 * a linked bin. A person copies the examples of the help, so they must work where it was read.
 */
export function commandName(script: string, npmScript: string | null, cwd: string): string {
  if (npmScript === 'cli') return 'npm run -s cli --';
  const name = basename(script);
  if (!/\.[cm]?[jt]s$/.test(name)) return name;
  const path = isAbsolute(script) ? relative(cwd, script) : script;
  const shown = path.startsWith('..') ? script : path;
  return /\.[cm]?ts$/.test(name) ? `npx tsx ${shown}` : `node ${shown}`;
}
