/**
 * @coffee/consortium: the consortium's facts, defined once and imported by name by the chaincodes, the launcher,
 * the gateways and the portal. No imports beyond its own files, no I/O, no environment: pure data and functions.
 */
export * from './orgs.js';
export * from './vocabulary.js';
export * from './actions.js';
export * from './endorsers.js';
export * from './policy.js';
export * from './errors.js';
export * from './mfa.js';
export * from './wire.js';
export * from './eudr.js';
