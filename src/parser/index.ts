// Public face of the parser: Dockerfile text → typed instructions, BuildKit AST dump/JSON, word expansion.
export { parseDockerfile } from './parse.js';
export { dumpBuildkit, parseToJson, type RawNodeJson, type RawHeredocJson } from './dump.js';
export { expandWord, expandWords, type ExpandOptions } from './expand.js';
export { expandInstruction } from './expand-instruction.js';
export { parseGoDuration } from './duration.js';
export { splitCsvFields } from './mount-fields.js';
export type * from './types.js';
