// A department app revoked while it works, on the test network (the devnet or real Fabric):
// `gateway:admin disable-app` runs `network:revoke` (the CA revokes and generates its CRL, the
// org's admin puts it into the org's MSP by a config update, every peer commits it), and from then
// on the app's certificate is refused by its gateway, by every peer (a proposal straight to each
// peer with the fabric-gateway client) and by every ordering node (a transaction endorsed before,
// broadcast straight to it; Deliver); the other apps keep working. A CRL of another CA, or one
// Fabric's MSP cannot parse, is refused and changes nothing. Prints the time from network:revoke
// to the last peer refusing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Contract, GatewayError } from '@hyperledger/fabric-gateway';
import { common, gateway as gatewayProtos, msp, orderer as ordererProtos } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { disableApp, provisionApp } from '../../gateway/admin';
import { loadConfig } from '../../gateway/config';
import { caClient, registrar } from '../../network/client/ca-identities';
import { connectAs, newPeerClient, type OrgConnection } from '../../network/client/connection';
import { findOrg, paths, type Topology } from '../../network/client/topology';
import { computeUpdate, configUpdateEnvelope, fetchBlock, fetchConfigBlock, signConfigUpdate } from '../../network/commands/configupdate';
import { adminOf } from '../../network/commands/orgchange';
import { configFromBlock } from '../../network/devnet/common/configtx';
import { createSignedEnvelope } from '../../network/devnet/common/protoutil';
import { parseCrl } from '../../network/devnet/msp/crl';
import { loadSigningIdentity, type SigningIdentity } from '../../network/devnet/msp/identity';
import { withDeadline } from '../deadline';
import { NETWORK, NETWORK_LABEL, testNetwork } from './network';
import { networkCommand, orderingNodes, type OrdererEndpoint } from './helpers';

const ORG = 'MOHWMSP';

async function restCall(t: Topology, apiKey: string, uri: string): Promise<number> {
    const g = findOrg(t, ORG).gateway;
    if (!g) throw new Error(`${ORG} runs no gateway in this topology`);
    const r = await fetch(`http://${g.host}:${g.port}${uri}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    await r.text();
    return r.status;
}

/** One broadcast of `envelope` straight to an ordering node: its status. */
async function broadcastTo(t: Topology, node: OrdererEndpoint, envelope: common.Envelope): Promise<{ status: number; info: string }> {
    const client = new ordererProtos.AtomicBroadcastClient(
        `${node.host}:${node.port}`,
        grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, node.operatedBy))),
        { 'grpc.ssl_target_name_override': node.name },
    );
    try {
        const call = client.broadcast({ deadline: Date.now() + 15_000 });
        return await withDeadline(
            `the broadcast answer of ${node.name}`,
            15_000,
            new Promise<{ status: number; info: string }>((resolve, reject) => {
                call.on('data', (r: ordererProtos.BroadcastResponse) => {
                    resolve({ status: r.getStatus(), info: r.getInfo() });
                    call.end();
                });
                call.on('error', reject);
                call.write(envelope);
            }),
            () => call.cancel(),
        );
    } finally {
        client.close();
    }
}

/** Deliver of the newest block from an ordering node, signed by `signer`: the status it answers. */
async function deliverStatus(t: Topology, node: OrdererEndpoint, signer: SigningIdentity): Promise<number> {
    const newest = new ordererProtos.SeekPosition();
    newest.setNewest(new ordererProtos.SeekNewest());
    const seek = new ordererProtos.SeekInfo();
    seek.setStart(newest);
    seek.setStop(newest);
    seek.setBehavior(ordererProtos.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
    const client = new ordererProtos.AtomicBroadcastClient(
        `${node.host}:${node.port}`,
        grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, node.operatedBy))),
        { 'grpc.ssl_target_name_override': node.name, 'grpc.max_receive_message_length': 100 * 1024 * 1024 },
    );
    try {
        const call = client.deliver({ deadline: Date.now() + 15_000 });
        return await withDeadline(
            `the deliver answer of ${node.name}`,
            15_000,
            new Promise<number>((resolve, reject) => {
                call.on('data', (r: ordererProtos.DeliverResponse) => {
                    if (r.getTypeCase() === ordererProtos.DeliverResponse.TypeCase.STATUS) {
                        resolve(r.getStatus());
                        call.end();
                    }
                });
                call.on('error', reject);
                call.write(createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, t.channel, signer, seek.serializeBinary()));
            }),
            () => call.cancel(),
        );
    } finally {
        client.close();
    }
}

const mohwMspOf = (block: common.Block): msp.FabricMSPConfig => {
    const value = configFromBlock(block)
        .config.getChannelGroup()!
        .getGroupsMap()
        .get('Application')!
        .getGroupsMap()
        .get(ORG)!
        .getValuesMap()
        .get('MSP')!;
    return msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8());
};

const configBlockNumber = async (t: Topology) => (await fetchConfigBlock(t, adminOf(t, ORG))).getHeader()!.getNumber();

describe(`revocation on ${NETWORK_LABEL}`, function () {
    this.timeout(600_000);
    let t: Topology;
    const run = Date.now().toString(36);
    const revokedName = `revoked-${run}`;
    const keptName = `kept-${run}`;
    let revokedKey: string;
    let keptKey: string;
    let databaseFile: string;
    let serial: string;
    /** One fabric-gateway connection per peer, as the app to be revoked and as the app kept. */
    const asRevoked = new Map<string, OrgConnection>();
    const asKept = new Map<string, OrgConnection>();
    const fixtureOn = (c: OrgConnection): Contract => c.gateway.getNetwork(t.channel).getContract('fixture');
    const evaluateOn = (c: OrgConnection, mspId: string) =>
        fixtureOn(c).evaluate('Get', { arguments: [`revocation-${run}`], endorsingOrganizations: [mspId] });

    before(async () => {
        t = (await testNetwork()).topology;
        databaseFile = loadConfig({ org: ORG, topologyFile: t.file }).databaseFile;
        revokedKey = (await provisionApp({ topology: t, databaseFile, mspId: ORG, name: revokedName, role: 'department', dept: 'welfare' }))
            .apiKey;
        keptKey = (await provisionApp({ topology: t, databaseFile, mspId: ORG, name: keptName, role: 'department', dept: 'pension' }))
            .apiKey;
        for (const org of t.orgs) {
            asRevoked.set(org.mspId, connectAs(t, ORG, revokedName, {}, newPeerClient(t, org.mspId)));
            asKept.set(org.mspId, connectAs(t, ORG, keptName, {}, newPeerClient(t, org.mspId)));
        }
        // The key every probe reads.
        await fixtureOn(asKept.get(ORG) as OrgConnection).submit('Put', { arguments: [`revocation-${run}`, 'read by the probes'] });
        const cert = fs.readFileSync(path.join(paths.userDir(t, ORG, revokedName), 'msp', 'signcerts', 'cert.pem'), 'utf8');
        serial = new (await import('node:crypto')).X509Certificate(cert).serialNumber.toLowerCase().replace(/^0+/, '');
    });
    after(() => {
        for (const c of [...asRevoked.values(), ...asKept.values()]) c.close();
    });

    it('Given a CRL signed by another CA (Seoul’s), When network:revoke is asked to put it into MOHW’s MSP, Then CRL_NOT_FROM_ORG_CA and the channel config does not change', async () => {
        const client = caClient(t, 'SeoulMSP');
        const seoulCrl = await client.generateCrl(await registrar(t, 'SeoulMSP', client));
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'revocation-')), 'seoul-crl.pem');
        fs.writeFileSync(file, seoulCrl);
        const before = await configBlockNumber(t);
        const err = await networkCommand(t, 'revoke', '--org', ORG, '--crl', file).catch((e: { code: number; stderr: string }) => e);
        expect((err as { code: number }).code).to.equal(1);
        expect((err as { stderr: string }).stderr).to.match(/^CRL_NOT_FROM_ORG_CA: the CRL is not signed by a CA of MOHWMSP/);
        expect(await configBlockNumber(t)).to.equal(before);
    });

    it('Given a config update putting a CRL that Fabric’s MSP cannot parse (PEM "CRL") into MOHW’s MSP, When MOHW’s admin submits it, Then the orderer answers BAD_REQUEST and the config does not change', async () => {
        const admin = adminOf(t, ORG);
        const configBlock = await fetchConfigBlock(t, admin);
        const { config } = configFromBlock(configBlock);
        const client = caClient(t, ORG);
        const relabelled = (await client.generateCrl(await registrar(t, ORG, client))).replace(/X509 CRL/g, 'CRL');
        const updated = common.Config.deserializeBinary(config.serializeBinary());
        for (const g of ['Application', 'Orderer']) {
            const value = updated.getChannelGroup()!.getGroupsMap().get(g)?.getGroupsMap().get(ORG)?.getValuesMap().get('MSP');
            if (!value) continue;
            const wrapped = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
            const fabricMsp = msp.FabricMSPConfig.deserializeBinary(wrapped.getConfig_asU8());
            fabricMsp.addRevocationList(Buffer.from(relabelled));
            wrapped.setConfig(fabricMsp.serializeBinary());
            value.setValue(wrapped.serializeBinary());
        }
        const envelope = signConfigUpdate(configUpdateEnvelope(t.channel, computeUpdate(t.channel, config, updated)), t.channel, admin);
        const answer = await broadcastTo(t, orderingNodes(t)[0], envelope);
        expect(answer.status, answer.info).to.equal(common.Status.BAD_REQUEST);
        expect(answer.info).to.contain('could not parse RevocationList');
        expect(await configBlockNumber(t)).to.equal(configBlock.getHeader()!.getNumber());
    });

    it('Given a department app at work, When disable-app revokes it (network:revoke), Then its gateway, every peer and every ordering node refuse its certificate, the other app keeps working, and the CRL is in a config block', async () => {
        // At work: through its gateway, and straight to each peer.
        expect(await restCall(t, revokedKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(200);
        for (const org of t.orgs) await evaluateOn(asRevoked.get(org.mspId) as OrgConnection, org.mspId);
        // A transaction endorsed now, to be sent to the orderers once the certificate is revoked.
        const endorsed = await fixtureOn(asRevoked.get(ORG) as OrgConnection)
            .newProposal('Put', { arguments: [`revocation-${run}`, 'endorsed before revocation'] })
            .endorse();
        const envelope = gatewayProtos.PreparedTransaction.deserializeBinary(endorsed.getBytes()).getEnvelope() as common.Envelope;
        const signer = loadSigningIdentity(path.join(paths.userDir(t, ORG, revokedName), 'msp'), ORG);
        expect(await deliverStatus(t, orderingNodes(t)[0], signer)).to.equal(common.Status.SUCCESS);
        const configBefore = await configBlockNumber(t);

        // While disable-app runs, each peer is asked every 50 ms until it refuses.
        const started = Date.now();
        const refusedAfter = new Map<string, number>();
        const refusedAt = new Map<string, number>();
        const refusals = new Map<string, string>();
        let probing = true;
        const probes = t.orgs.map(async (org) => {
            while (probing && !refusedAfter.has(org.mspId)) {
                try {
                    await evaluateOn(asRevoked.get(org.mspId) as OrgConnection, org.mspId);
                } catch (e) {
                    refusedAt.set(org.mspId, Date.now());
                    refusedAfter.set(org.mspId, Date.now() - started);
                    const details = e instanceof GatewayError ? e.details.map((d) => d.message).join('; ') : '';
                    refusals.set(org.mspId, `${(e as Error).message} ${details}`);
                    return;
                }
                await new Promise((r) => setTimeout(r, 50));
            }
        });
        const result = await disableApp(t, databaseFile, revokedName, { fabric: NETWORK === 'fabric' });
        await withDeadline('every peer refusing the revoked certificate', 30_000, Promise.all(probes), () => {
            probing = false;
        });
        probing = false;
        expect(result).to.deep.include({ identity: revokedName, registered: true, revoked: 1 });
        const network = result.network!;
        const lastPeer = Math.max(...refusedAfter.values());
        const fromRevoke = Math.max(...refusedAt.values()) - network.startedAt;
        console.log(
            `      network:revoke on ${NETWORK_LABEL}: every peer committed config block ${network.configBlock} ${network.totalMs} ms after it started (${Object.entries(
                network.appliedAfterMs,
            )
                .map(([p, ms]) => `${p} ${ms} ms`)
                .join(
                    ', ',
                )}); the last peer refused the certificate ${fromRevoke} ms after network:revoke started, ${lastPeer} ms after disable-app started (${[
                ...refusedAfter,
            ]
                .map(([o, ms]) => `${o} ${ms} ms`)
                .join(', ')})`,
        );

        // Its gateway: the key is refused.
        expect(await restCall(t, revokedKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(401);
        // Every peer: a proposal straight to it is refused, naming the creator's org.
        for (const org of t.orgs) {
            expect(refusals.get(org.mspId), org.mspId).to.match(/access denied|creator/i);
            const again = await evaluateOn(asRevoked.get(org.mspId) as OrgConnection, org.mspId).catch((e: Error) => e);
            expect(again, org.mspId).to.be.instanceOf(Error);
        }
        // Every ordering node: the transaction endorsed before is FORBIDDEN, and so is its Deliver.
        for (const node of orderingNodes(t)) {
            const answer = await broadcastTo(t, node, envelope);
            expect(answer.status, `${node.name}: ${answer.info}`).to.equal(common.Status.FORBIDDEN);
            expect(await deliverStatus(t, node, signer), node.name).to.equal(common.Status.FORBIDDEN);
        }
        // The other app: through its gateway and straight to each peer.
        expect(await restCall(t, keptKey, '/v1/services?ownerMspId=MOHWMSP&pageSize=5')).to.equal(200);
        for (const org of t.orgs) await evaluateOn(asKept.get(org.mspId) as OrgConnection, org.mspId);
        await fixtureOn(asKept.get(ORG) as OrgConnection).submit('Put', { arguments: [`revocation-kept-${run}`, 'still works'] });

        // The CRL is in a config block of its own, in MOHW's MSP, listing the certificate.
        expect(network.configBlock).to.be.greaterThan(configBefore);
        const block = await fetchBlock(t, adminOf(t, ORG), network.configBlock);
        const header = common.ChannelHeader.deserializeBinary(
            common.Payload.deserializeBinary(common.Envelope.deserializeBinary(block.getData()!.getDataList_asU8()[0]).getPayload_asU8())
                .getHeader()!
                .getChannelHeader_asU8(),
        );
        expect(header.getType()).to.equal(common.HeaderType.CONFIG);
        const crls = mohwMspOf(block)
            .getRevocationListList_asU8()
            .map((b) => parseCrl(b));
        expect(crls.some((c) => c.serials.has(serial))).to.equal(true);
        expect(Buffer.from(mohwMspOf(block).getRevocationListList_asU8()[0]).toString().startsWith('-----BEGIN X509 CRL-----')).to.equal(
            true,
        );
    });

    it('Given the revocation in force, When network:revoke is run again for the same identity, Then nothing is submitted: the config already has those certificates', async () => {
        const before = await configBlockNumber(t);
        const { stdout } = await networkCommand(t, 'revoke', '--org', ORG, '--name', revokedName, '--json');
        const result = JSON.parse(stdout.trim().split('\n').pop() as string) as { alreadyInForce: boolean; configBlock: number };
        expect(result).to.deep.include({ alreadyInForce: true, configBlock: before });
        expect(await configBlockNumber(t)).to.equal(before);
    });
});
