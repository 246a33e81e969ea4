import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8 hands out its `gc` function to contexts made after --expose-gc is set; setting the flag at run
// time changes nothing else, so no process needs starting with a special flag.
setFlagsFromString('--expose-gc');

/** A full garbage collection now (a few tens of ms): see ROWS_BETWEEN_COLLECTIONS in service.ts. */
export const collectGarbage = runInNewContext('gc') as () => void;
