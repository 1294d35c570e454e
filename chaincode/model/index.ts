// Shapes shared by the chaincode and the REST gateway (no fabric-shim imports here).
export * from './canonical.js';
export * from './vocabulary.js';
export * from './assets.js';
export * from './dto.js';
export * from './signed.js';
export * from './commitments.js';
export * from './validate.js';
export * from './formats.js';
export * from '../errors.js';
export * from './sealed.js';
export * from './calendar.js';
export * from './minority.js';
export * from './text.js';
