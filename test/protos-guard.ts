// fabric-shim 2.5.8 carries its own @hyperledger/fabric-protos (0.2.2). Both copies register their
// generated classes on google-protobuf's global `proto` namespace, so whichever loads last wins.
// Devnet processes never load fabric-shim, but one mocha process runs the chaincode's unit tests
// (fabric-shim) beside the devnet's (fabric-protos 0.3.7, the version fabric-gateway uses). Load
// 0.3.7, let fabric-shim load its copy, then put 0.3.7's classes back. The shim's own message
// handling works on either set (the messages it uses are the same in both).
import '@hyperledger/fabric-protos';

type Namespace = Record<string, unknown>;
const saved: [Namespace, string, unknown][] = [];
const walk = (ns: Namespace, depth: number) => {
    for (const [key, value] of Object.entries(ns)) {
        if (typeof value === 'function') saved.push([ns, key, value]);
        else if (value && typeof value === 'object' && depth < 5) walk(value as Namespace, depth + 1);
    }
};
walk((globalThis as unknown as { proto: Namespace }).proto, 0);
require('fabric-shim');
for (const [ns, key, value] of saved) ns[key] = value;
