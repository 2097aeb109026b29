// Every check, in plan order. Adding a capability = adding a file and a line here.
import type { CheckDef } from './types.js';

export const CHECKS: CheckDef[] = [];
