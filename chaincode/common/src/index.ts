/**
 * The code both chaincodes share. Each chaincode keeps what is its own (error codes, events, models,
 * access rules); everything here is identical for both and versioned with both (a change here upgrades
 * both chaincode definitions).
 */
export { ChaincodeError, type CommonErrorCode } from './errors';
export * from './clock-skew';
export * from './health';
export * from './ledger';
export * from './peer-clock';
export * from './serialize';
export * from './time';
export * from './validate';
export * from './proposal';
export * from './registry';
export { RegistryContract } from './registry-contract';
export * from './shim-logging';
