// broadcasts/sending.ts imports the opt-out from here; it points at ./repository.js at merge.
export { markUnsubscribed } from './repository.js';
