// A chaincode server run as the devnet and the Fabric tooling run it (fabric-shim's server with
// its TLS options from chaincodeNode) against the peer's dialer configured from the org's ccaas
// connection: the peer's client certificate gets in, and nothing else does.
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { findOrg, loadTopology, paths, Topology } from '../../../network/client/topology';
import { generateCrypto } from '../../../network/devnet/msp/ca';
import { ChaincodeSupport, chaincodeEndpoints } from '../../../network/devnet/peer/chaincode/support';
import { chaincodeNode } from '../../../network/devnet/processes';
import { shimFirstAnswer as firstAnswer } from '../../chaincode-stream';
import { CC, freePort, startChaincodeServer, stopChaincodeServer } from './helpers';

const read = (...p: string[]) => fs.readFileSync(path.join(...p));

describe('chaincode servers over TLS with client authentication', function () {
    this.timeout(60_000);
    let t: Topology;
    let port: number;
    let server: ChildProcess | undefined;
    let address: string;
    const seoulTls = () => paths.peerChaincodeTlsDir(t, 'SeoulMSP');
    const moisTls = () => paths.peerChaincodeTlsDir(t, 'MOISMSP');

    before(async () => {
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-tls-'));
        process.once('exit', () => fs.rmSync(stateDir, { recursive: true, force: true }));
        t = { ...loadTopology(), stateDir };
        await generateCrypto(t, ['SeoulMSP', 'MOISMSP']);
        port = await freePort();
        address = `127.0.0.1:${port}`;
        // The TLS options exactly as the devnet and the Fabric tooling start Seoul's server.
        const command = chaincodeNode(t, t.chaincodes[0], findOrg(t, 'SeoulMSP')).command;
        const tls = command.slice(command.indexOf('--chaincode-tls-cert-file'));
        expect(tls).to.have.length(6);
        server = startChaincodeServer(port, `${CC}:1.0`, tls);
    });

    after(async () => {
        await stopChaincodeServer(server);
    });

    it("Given the peer's dialer from Seoul's ccaas connection, Then the server takes it and the chaincode registers", async () => {
        const [endpoint] = chaincodeEndpoints(t, 'SeoulMSP');
        expect(endpoint.tls?.serverName).to.equal('chaincode-citizencard.seoul.example.gov');
        const support = new ChaincodeSupport([{ ...endpoint, name: CC, address }], { minBackoffMs: 100, maxBackoffMs: 500 });
        try {
            support.start();
            expect(await support.waitReady(20_000), JSON.stringify(support.status())).to.equal(true);
            expect(support.status()[0].chaincodeId).to.equal(`${CC}:1.0`);
        } finally {
            support.close();
        }
    });

    it('When a client speaks plain gRPC, Then the server does not answer it', async () => {
        expect(await firstAnswer(address, grpc.credentials.createInsecure())).to.match(/^error 14:/);
    });

    it('When a TLS client has no certificate, Then the server refuses the connection', async () => {
        const answer = await firstAnswer(address, grpc.credentials.createSsl(read(seoulTls(), 'ca.crt')), {
            'grpc.ssl_target_name_override': 'chaincode-citizencard.seoul.example.gov',
        });
        expect(answer).to.match(/^error 14:/);
    });

    it("When a TLS client has a certificate of another org's TLS CA (MOIS's peer), Then the server refuses the connection", async () => {
        const creds = grpc.credentials.createSsl(read(seoulTls(), 'ca.crt'), read(moisTls(), 'client.key'), read(moisTls(), 'client.crt'));
        const answer = await firstAnswer(address, creds, { 'grpc.ssl_target_name_override': 'chaincode-citizencard.seoul.example.gov' });
        expect(answer).to.match(/^error 14:/);
    });

    it("When the same client has Seoul's peer certificate, Then the server takes it (the refusals above were the certificate's)", async () => {
        const creds = grpc.credentials.createSsl(
            read(seoulTls(), 'ca.crt'),
            read(seoulTls(), 'client.key'),
            read(seoulTls(), 'client.crt'),
        );
        const answer = await firstAnswer(address, creds, { 'grpc.ssl_target_name_override': 'chaincode-citizencard.seoul.example.gov' });
        expect(answer).to.equal(`message ${peer.ChaincodeMessage.Type.REGISTER}`);
    });

    it("When MOIS's peer dials Seoul's server, Then MOIS's peer refuses it: its certificate does not chain to MOIS's TLS CA", async () => {
        const [endpoint] = chaincodeEndpoints(t, 'MOISMSP');
        const support = new ChaincodeSupport([{ ...endpoint, name: CC, address }], { minBackoffMs: 100, maxBackoffMs: 500 });
        try {
            support.start();
            expect(await support.waitReady(3000)).to.equal(false);
            expect(support.status()[0].lastError).to.match(/14 UNAVAILABLE/);
        } finally {
            support.close();
        }
    });

    it('When the peer expects another server name, Then it refuses the server (connection.json domain)', async () => {
        const [endpoint] = chaincodeEndpoints(t, 'SeoulMSP');
        const tls = { ...endpoint.tls!, serverName: 'chaincode-other.seoul.example.gov' };
        const support = new ChaincodeSupport([{ ...endpoint, tls, name: CC, address }], { minBackoffMs: 100, maxBackoffMs: 500 });
        try {
            support.start();
            expect(await support.waitReady(3000)).to.equal(false);
            expect(support.status()[0].lastError).to.match(/14 UNAVAILABLE/);
        } finally {
            support.close();
        }
    });
});
