// Imported first by the chaincode tests: fabric-contract-api logs every decorator at info level.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'critical';
