/**
 * What the `audit` commands run, apart from their commander wiring in audit.ts so that building the program (at
 * every start, `--version` included) does not load the config schema and the audit readers (issue 21). Re-exports
 * only; no failure mode of its own.
 */
export { loadConfig } from '../config/load.js';
export { toCsv, toJsonl } from '../audit/export.js';
export { logFiles } from '../audit/files.js';
export { formatRecord, parseSince, query, readRecords } from '../audit/query.js';
export { renderReport } from '../audit/report.js';
export { auditLocation } from '../audit/setup.js';
export { computeStats, formatStats } from '../audit/stats.js';
export { verifyLog } from '../audit/verify.js';
