// A peer's first step towards a chaincode server (chaincode as a service), for tests of who the
// server lets in: open the shim stream and see what comes first.
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import { NODE_GRPC_OPTIONS } from '../network/devnet/common/grpc';
import { withDeadline } from './deadline';

/** Opens the shim stream as a peer would and reports what came first: the chaincode's REGISTER, or the error. */
export async function shimFirstAnswer(address: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): Promise<string> {
    const client = new peer.ChaincodeClient(address, creds, { ...NODE_GRPC_OPTIONS, ...options });
    const stream = client.connect();
    try {
        return await withDeadline(
            `the first message of the chaincode server at ${address}`,
            10_000,
            new Promise<string>((resolve) => {
                stream.on('data', (m: peer.ChaincodeMessage) => resolve(`message ${m.getType()}`));
                stream.on('error', (e: grpc.ServiceError) => resolve(`error ${e.code}: ${e.details}`));
            }),
        );
    } finally {
        stream.cancel();
        client.close();
    }
}
