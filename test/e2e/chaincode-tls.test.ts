// The test network's chaincode servers serve TLS and let in only their own org's peer: a client
// without TLS, a TLS client without a certificate and one with another org's certificate are
// refused; the peers reach them (every other suite's transactions run through them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { chaincodeServerName, paths, type Topology } from '../../network/client/topology';
import { NETWORK_LABEL, testNetwork } from './network';
import { shimFirstAnswer } from '../chaincode-stream';
import { notRun, onlyOn } from '../not-run';
import { untarGz } from '../../network/fabric/package';

const read = (...p: string[]) => fs.readFileSync(path.join(...p));

describe(`chaincode servers over TLS on ${NETWORK_LABEL}`, function () {
    this.timeout(120_000);
    let t: Topology;

    before(async function () {
        t = (await testNetwork()).topology;
        if (!t.chaincodes.some((cc) => cc.server.tls)) notRun(this, `no chaincode of ${t.file} has server.tls on`);
    });

    /** Every chaincode server of every org, with what its own peer and another org's peer dial with. */
    const servers = () =>
        t.chaincodes
            .filter((cc) => cc.server.tls)
            .flatMap((cc) =>
                t.orgs.map((org, i) => {
                    const other = t.orgs[(i + 1) % t.orgs.length];
                    return {
                        what: `${cc.name} of ${org.mspId}`,
                        address: `127.0.0.1:${cc.server.ports[org.mspId]}`,
                        name: chaincodeServerName(cc.name, org),
                        own: paths.peerChaincodeTlsDir(t, org.mspId),
                        other: paths.peerChaincodeTlsDir(t, other.mspId),
                        otherMsp: other.mspId,
                    };
                }),
            );

    it("Then every chaincode server refuses plain gRPC, a TLS client without a certificate and another org's peer, and takes its own peer's", async () => {
        const seen: string[] = [];
        for (const s of servers()) {
            const name = { 'grpc.ssl_target_name_override': s.name };
            const root = read(s.own, 'ca.crt');
            const plain = await shimFirstAnswer(s.address, grpc.credentials.createInsecure());
            const noCert = await shimFirstAnswer(s.address, grpc.credentials.createSsl(root), name);
            const otherOrg = await shimFirstAnswer(
                s.address,
                grpc.credentials.createSsl(root, read(s.other, 'client.key'), read(s.other, 'client.crt')),
                name,
            );
            const own = await shimFirstAnswer(
                s.address,
                grpc.credentials.createSsl(root, read(s.own, 'client.key'), read(s.own, 'client.crt')),
                name,
            );
            expect(plain, `${s.what}: plain gRPC`).to.match(/^error 14:/);
            expect(noCert, `${s.what}: TLS without a client certificate`).to.match(/^error 14:/);
            expect(otherOrg, `${s.what}: ${s.otherMsp}'s peer certificate`).to.match(/^error 14:/);
            expect(own, `${s.what}: its own peer's certificate`).to.equal(`message ${peer.ChaincodeMessage.Type.REGISTER}`);
            seen.push(s.what);
        }
        expect(seen).to.have.length(t.orgs.length * t.chaincodes.filter((cc) => cc.server.tls).length);
    });

    it("Then on real Fabric each org's installed package asks for TLS with client authentication and holds no key", function () {
        onlyOn(this, 'fabric', 'the devnet installs no packages: its peers read the same connection from the topology');
        for (const cc of t.chaincodes.filter((c) => c.server.tls)) {
            for (const org of t.orgs) {
                const file = path.join(t.stateDir, 'chaincode', cc.name, `${org.domain}.tar.gz`);
                const code = untarGz(untarGz(fs.readFileSync(file)).get('code.tar.gz') as Buffer);
                const connection = JSON.parse(code.get('connection.json')?.toString() ?? '{}');
                expect(connection).to.include({ tls_required: true, client_auth_required: true, client_key: '{{.client_key}}' });
                expect(code.get('connection.json')?.toString()).not.to.include('PRIVATE KEY');
            }
        }
    });
});
