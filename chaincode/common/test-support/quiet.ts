// Imported first by every test: fabric-contract-api logs each decorator at INFO unless told otherwise.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'WARNING';
