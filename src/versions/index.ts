// Workflow versions: a workflow's code bundled and hashed (build), and a stored version loaded by hash (link).
export { buildVersion, shortVersion, type BuiltVersion } from './build.ts';
export { importVersion } from './link.ts';
export { VersionError } from './errors.ts';
