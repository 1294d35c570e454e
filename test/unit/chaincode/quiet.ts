// Imported first by the chaincode tests, which run the contracts in this process: fabric-contract-api
// logs every decorator at info level, and fabric-shim logs every refusal a test expects as a red
// "error" line. Tests assert the refusals themselves, so the shim's console transport (one for all
// its loggers) is silenced; chaincode servers of a devnet still log to their files.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'critical';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- fabric-shim ships no types for its logger
const shimLogger = require('fabric-shim/lib/logger') as { getLogger(name: string): { transports: { silent: boolean }[] } };
for (const transport of shimLogger.getLogger('tests').transports) transport.silent = true;
