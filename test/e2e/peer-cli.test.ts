// Fabric's own `peer` CLI and `configtxlator` against the test network, as an operator would use
// them: channel getinfo, list and fetch (from a peer and from the orderer, every block), invoke
// through several peers, query, the lifecycle (approveformyorg, queryapproved, checkcommitreadiness,
// commit, querycommitted), and proto_decode of each fetched block.
// Needs Fabric's binaries (FABRIC_BIN, else PATH) and their sample config (FABRIC_CFG_PATH, else
// <bin>/../config); without them the tests say they did not run.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { common, peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { blockHeaderHash, isConfigBlock } from '../../network/devnet/common/protoutil';
import { findFabricTool } from '../../network/fabric/binaries';
import { address, issuerOrg, paths, primaryOrderer, REPO_ROOT, Topology } from '../../network/client/topology';
import { notRun, onlyOn } from '../not-run';
import { connectAs } from '../../network/client/connection';
import { checkCommitReadinessArgs } from '../../network/devnet/peer/scc/lifecycle';
import { testNetwork } from './network';

interface Tools {
    peer: string;
    configtxlator: string;
    configDir: string;
}

/** Fabric's binaries where the network tooling finds them (FABRIC_BIN, else .fabric-bin/bin, then PATH); undefined when one is missing. */
function fabricTools(env = process.env): Tools | undefined {
    const peer = findFabricTool('peer', REPO_ROOT, env);
    const configtxlator = findFabricTool('configtxlator', REPO_ROOT, env);
    if (!peer || !configtxlator) return undefined;
    const configDir = env.FABRIC_CFG_PATH ?? path.join(path.dirname(peer), '..', 'config');
    return fs.existsSync(path.join(configDir, 'core.yaml')) ? { peer, configtxlator, configDir } : undefined;
}

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
    return new Promise((resolve) => {
        execFile(file, args, { env, cwd, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
    });
}

/** Runs tasks with at most `width` at a time (each CLI call is a process). */
async function inBatches<T>(tasks: (() => Promise<T>)[], width = 4): Promise<T[]> {
    const out: T[] = new Array(tasks.length);
    let next = 0;
    await Promise.all(
        Array.from({ length: width }, async () => {
            while (next < tasks.length) {
                const i = next++;
                out[i] = await tasks[i]();
            }
        }),
    );
    return out;
}

describe("Fabric's peer CLI against the network", function () {
    this.timeout(600_000);
    let tools: Tools;
    let t: Topology;
    let work: string;

    before(async function () {
        const found = fabricTools();
        if (!found)
            notRun(
                this,
                'no Fabric peer and configtxlator in $FABRIC_BIN or $PATH, or no core.yaml in $FABRIC_CFG_PATH or <bin>/../config',
            );
        tools = found;
        t = (await testNetwork()).topology;
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-cli-'));
    });
    after(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** The CLI environment of an org's admin talking to the org's peer (Fabric's CORE_PEER_* variables). */
    const envOf = (mspId: string): NodeJS.ProcessEnv => {
        const org = t.orgs.find((o) => o.mspId === mspId)!;
        return {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            FABRIC_CFG_PATH: tools.configDir,
            FABRIC_LOGGING_SPEC: 'error',
            CORE_PEER_TLS_ENABLED: 'true',
            CORE_PEER_LOCALMSPID: mspId,
            CORE_PEER_MSPCONFIGPATH: path.join(paths.userDir(t, mspId, 'Admin'), 'msp'),
            CORE_PEER_TLS_ROOTCERT_FILE: paths.tlsRootCert(t, mspId),
            CORE_PEER_ADDRESS: address(org.peer),
        };
    };
    const peerCli = async (mspId: string, ...args: string[]): Promise<Run> => run(tools.peer, args, envOf(mspId), work);
    const ok = async (mspId: string, ...args: string[]): Promise<string> => {
        const r = await peerCli(mspId, ...args);
        expect(r.code, `peer ${args.join(' ')}: ${r.stderr}`).to.equal(0);
        return r.stdout + r.stderr;
    };
    const ordererFlags = () => ['-o', address(primaryOrderer(t)), '--tls', '--cafile', paths.tlsRootCert(t, primaryOrderer(t).operatedBy)];
    const readBlock = (file: string) => common.Block.deserializeBinary(fs.readFileSync(path.join(work, file)));
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

    async function chainInfo(mspId: string): Promise<{ height: number; currentBlockHash: string; previousBlockHash?: string }> {
        const out = await ok(mspId, 'channel', 'getinfo', '-c', t.channel);
        const json = /Blockchain info: (\{.*\})/.exec(out)?.[1];
        expect(json, out).to.be.a('string');
        return JSON.parse(json!);
    }

    it('Given each org admin, When `peer channel getinfo` asks its peer, Then height and current block hash match the newest block', async () => {
        for (const org of t.orgs) {
            const info = await chainInfo(org.mspId);
            expect(info.height).to.be.greaterThan(0);
            await ok(org.mspId, 'channel', 'fetch', String(info.height - 1), `info-${org.mspId}.block`, '-c', t.channel);
            const block = readBlock(`info-${org.mspId}.block`);
            expect(hex(blockHeaderHash(block.getHeader()!))).to.equal(hex(Buffer.from(info.currentBlockHash, 'base64')));
            expect(hex(block.getHeader()!.getPreviousHash_asU8())).to.equal(hex(Buffer.from(info.previousBlockHash ?? '', 'base64')));
        }
    });

    it('When `peer channel list` asks a peer, Then it names the channel', async () => {
        const out = await ok(issuerOrg(t).mspId, 'channel', 'list');
        expect(out).to.match(new RegExp(`Channels peers has joined: \\s*\\n${t.channel.replace(/\./g, '\\.')}\\s*$`, 'm'));
    });

    it('When `peer channel fetch newest|oldest|config` asks a peer and the orderer, Then both give the same blocks', async () => {
        const seoul = issuerOrg(t).mspId;
        const height = (await chainInfo(seoul)).height;
        for (const target of ['newest', 'oldest', 'config']) {
            await ok(seoul, 'channel', 'fetch', target, `peer-${target}.block`, '-c', t.channel);
            await ok(seoul, 'channel', 'fetch', target, `orderer-${target}.block`, '-c', t.channel, ...ordererFlags());
            const fromPeer = readBlock(`peer-${target}.block`);
            const fromOrderer = readBlock(`orderer-${target}.block`);
            // The peer's copy carries its validation flags; headers and data are the orderer's.
            expect(hex(blockHeaderHash(fromPeer.getHeader()!))).to.equal(hex(blockHeaderHash(fromOrderer.getHeader()!)));
            if (target === 'oldest') expect(fromPeer.getHeader()!.getNumber()).to.equal(0);
            if (target === 'newest') expect(fromPeer.getHeader()!.getNumber()).to.be.at.least(height - 1);
            if (target === 'config') expect(isConfigBlock(fromPeer), 'config block').to.equal(true);
        }
    });

    it('When a loop fetches every block by number from a peer and from the orderer, Then the chain links up and configtxlator decodes each block', async () => {
        const seoul = issuerOrg(t).mspId;
        const height = (await chainInfo(seoul)).height;
        const numbers = Array.from({ length: height }, (_, n) => n);
        await inBatches(
            numbers.flatMap((n) => [
                () => ok(seoul, 'channel', 'fetch', String(n), `p${n}.block`, '-c', t.channel),
                () => ok(seoul, 'channel', 'fetch', String(n), `o${n}.block`, '-c', t.channel, ...ordererFlags()),
            ]),
        );
        let previous: Uint8Array | undefined;
        for (const n of numbers) {
            const block = readBlock(`p${n}.block`);
            expect(block.getHeader()!.getNumber()).to.equal(n);
            expect(hex(blockHeaderHash(readBlock(`o${n}.block`).getHeader()!))).to.equal(hex(blockHeaderHash(block.getHeader()!)));
            if (previous) expect(hex(block.getHeader()!.getPreviousHash_asU8())).to.equal(hex(previous));
            previous = blockHeaderHash(block.getHeader()!);
        }
        const decoded = await inBatches(
            numbers.map(
                (n) => () =>
                    run(
                        tools.configtxlator,
                        ['proto_decode', '--type', 'common.Block', '--input', `p${n}.block`, '--output', `p${n}.json`],
                        { PATH: process.env.PATH },
                        work,
                    ),
            ),
        );
        for (const [n, r] of decoded.entries()) {
            expect(r.code, `configtxlator proto_decode of block ${n}: ${r.stderr}`).to.equal(0);
            const json = JSON.parse(fs.readFileSync(path.join(work, `p${n}.json`), 'utf8')) as {
                header: { number: string };
                data: { data: unknown[] };
            };
            expect(Number(json.header.number)).to.equal(n);
            expect(json.data.data.length).to.be.greaterThan(0);
        }
    });

    it('When `peer chaincode invoke` goes through a majority of peers (--peerAddresses), Then `peer chaincode query` on another org reads the value', async () => {
        const [first, ...others] = t.orgs;
        const majority = t.orgs.slice(0, Math.floor(t.orgs.length / 2) + 1);
        const key = `cli-${Date.now()}`;
        await ok(
            first.mspId,
            'chaincode',
            'invoke',
            ...ordererFlags(),
            '-C',
            t.channel,
            '-n',
            'fixture',
            ...majority.flatMap((o) => ['--peerAddresses', address(o.peer), '--tlsRootCertFiles', paths.tlsRootCert(t, o.mspId)]),
            '-c',
            JSON.stringify({ Args: ['Put', key, 'from the peer CLI'] }),
            '--waitForEvent',
        );
        const reader = others[others.length - 1];
        const out = await ok(
            reader.mspId,
            'chaincode',
            'query',
            '-C',
            t.channel,
            '-n',
            'fixture',
            '-c',
            JSON.stringify({ Args: ['Get', key] }),
        );
        expect(out.trim()).to.equal('from the peer CLI');
    });

    it('When `peer lifecycle chaincode querycommitted` asks, Then every chaincode of the topology is committed with its version and sequence', async () => {
        const seoul = issuerOrg(t).mspId;
        const out = await ok(seoul, 'lifecycle', 'chaincode', 'querycommitted', '-C', t.channel);
        // Other e2e tests may have redeployed a chaincode (chaincode:deploy: next sequence, version
        // <version>+<code hash>), so each line must agree with the per-chaincode JSON answer and
        // with the topology's definition or a later one.
        for (const cc of t.chaincodes) {
            const line = new RegExp(`Name: ${cc.name}, Version: ([^,]+), Sequence: (\\d+)`).exec(out);
            expect(line, `${cc.name} in: ${out}`).to.not.equal(null);
            const [version, sequence] = [line![1], Number(line![2])];
            expect(version === cc.version || version.startsWith(`${cc.version}+`), version).to.equal(true);
            expect(sequence).to.be.at.least(cc.sequence);
            const one = JSON.parse(
                await ok(seoul, 'lifecycle', 'chaincode', 'querycommitted', '-C', t.channel, '-n', cc.name, '-O', 'json'),
            );
            expect([one.version, one.sequence]).to.deep.equal([version, sequence]);
        }
    });

    it("When org admins run `peer lifecycle chaincode approveformyorg`, `queryapproved`, `checkcommitreadiness` and `commit`, Then one org's approval cannot be committed alone, a peer whose org did not approve refuses, and a majority commits", async () => {
        const [seoul, mois, mohw] = t.orgs.map((o) => o.mspId);
        const name = `cli${Date.now().toString(36)}`;
        const collections = path.resolve(t.root, t.chaincodes.find((cc) => cc.name === 'fixture')!.collectionsFile!);
        const definition = [
            '--channelID',
            t.channel,
            '--name',
            name,
            '--version',
            '1.0',
            '--sequence',
            '1',
            '--collections-config',
            collections,
        ];
        const peers = (...mspIds: string[]) =>
            mspIds.flatMap((m) => [
                '--peerAddresses',
                address(t.orgs.find((o) => o.mspId === m)!.peer),
                '--tlsRootCertFiles',
                paths.tlsRootCert(t, m),
            ]);
        await ok(seoul, 'lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(), ...definition, '--package-id', `${name}_1.0:abc`);
        const approved = JSON.parse(
            await ok(seoul, 'lifecycle', 'chaincode', 'queryapproved', '-C', t.channel, '-n', name, '--sequence', '1', '-O', 'json'),
        );
        expect([approved.sequence, approved.version, approved.source.Type.LocalPackage.package_id]).to.deep.equal([
            1,
            '1.0',
            `${name}_1.0:abc`,
        ]);
        // Another org's admin cannot ask Seoul's peer for Seoul's approvals (the peer-local Admins policy).
        const foreign = await run(
            tools.peer,
            ['lifecycle', 'chaincode', 'queryapproved', '-C', t.channel, '-n', name],
            { ...envOf(mois), CORE_PEER_ADDRESS: address(t.orgs[0].peer), CORE_PEER_TLS_ROOTCERT_FILE: paths.tlsRootCert(t, seoul) },
            work,
        );
        expect(foreign.stderr).to.contain(
            'Failed to authorize invocation due to failed ACL check: Failed deserializing proposal creator during channelless check policy with policy [Admins]',
        );
        const readiness = () =>
            ok(mohw, 'lifecycle', 'chaincode', 'checkcommitreadiness', ...definition, '--output', 'json').then(
                (out) => JSON.parse(out).approvals,
            );
        expect(await readiness()).to.deep.equal(Object.fromEntries(t.orgs.map((o) => [o.mspId, o.mspId === seoul])));
        const alone = await peerCli(seoul, 'lifecycle', 'chaincode', 'commit', ...ordererFlags(), ...definition, ...peers(seoul));
        expect(alone.code).to.not.equal(0);
        expect(alone.stderr).to.contain('Error: transaction invalidated with status (ENDORSEMENT_POLICY_FAILURE)');
        const withMois = await peerCli(seoul, 'lifecycle', 'chaincode', 'commit', ...ordererFlags(), ...definition, ...peers(seoul, mois));
        expect(withMois.stderr).to.contain(
            `Error: failed to create signed transaction: proposal response was not successful, error code 500, msg failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (${mois})`,
        );
        await ok(mois, 'lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(), ...definition, '--package-id', `${name}_1.0:def`);
        await ok(mohw, 'lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(), ...definition, '--package-id', `${name}_1.0:ghi`);
        const again = await peerCli(
            mohw,
            'lifecycle',
            'chaincode',
            'approveformyorg',
            ...ordererFlags(),
            ...definition,
            '--package-id',
            `${name}_1.0:ghi`,
        );
        expect(again.stderr).to.contain(
            `Error: proposal failed with status: 500 - failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': attempted to redefine uncommitted sequence (1) for namespace ${name} with unchanged content`,
        );
        await ok(seoul, 'lifecycle', 'chaincode', 'commit', ...ordererFlags(), ...definition, ...peers(seoul, mois, mohw));
        const committed = await ok(seoul, 'lifecycle', 'chaincode', 'querycommitted', '-C', t.channel, '-n', name);
        expect(committed).to.contain(`Version: 1.0, Sequence: 1, Endorsement Plugin: escc, Validation Plugin: vscc, Approvals: [`);
        expect(committed).to.contain(`${seoul}: true`);
        expect(committed).to.contain(`${t.orgs[3].mspId}: false`);
    });

    it("When Fabric's CLI approves the fixture's definition from its collections file, Then the devnet's tooling computes the same parameters (CheckCommitReadiness agrees)", async () => {
        const fixture = t.chaincodes.find((cc) => cc.name === 'fixture')!;
        const name = `same${Date.now().toString(36)}`;
        const seoul = t.orgs[0].mspId;
        await ok(
            seoul,
            'lifecycle',
            'chaincode',
            'approveformyorg',
            ...ordererFlags(),
            '--channelID',
            t.channel,
            '--name',
            name,
            '--version',
            '1.0',
            '--sequence',
            '1',
            '--collections-config',
            path.resolve(t.root, fixture.collectionsFile!),
            '--package-id',
            `${name}:x`,
        );
        const connection = connectAs(t, seoul, 'Admin');
        try {
            const bytes = await connection.gateway
                .getNetwork(t.channel)
                .getContract('_lifecycle')
                .evaluate('CheckCommitReadiness', {
                    arguments: [checkCommitReadinessArgs({ ...fixture, name, version: '1.0', sequence: 1 }).serializeBinary()],
                });
            const approvals = Object.fromEntries(
                peer.lifecycle.CheckCommitReadinessResult.deserializeBinary(bytes).getApprovalsMap().getEntryList(),
            );
            expect(approvals[seoul]).to.equal(true);
        } finally {
            connection.close();
        }
    });

    it('When an admin asks another org’s peer without a channel, Then it is refused as on Fabric (its local MSP does not know the admin)', async () => {
        const [first, second] = t.orgs;
        const env = {
            ...envOf(first.mspId),
            CORE_PEER_ADDRESS: address(second.peer),
            CORE_PEER_TLS_ROOTCERT_FILE: paths.tlsRootCert(t, second.mspId),
        };
        const r = await run(tools.peer, ['channel', 'getinfo', '-c', t.channel], env, work);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain('access denied: channel [] creator org unknown, creator is malformed');
    });

    it('When `peer lifecycle chaincode queryinstalled` asks the devnet, Then it says clearly that the devnet installs no packages', async function () {
        onlyOn(this, 'devnet', 'real Fabric answers with its installed packages');
        const r = await peerCli(issuerOrg(t).mspId, 'lifecycle', 'chaincode', 'queryinstalled');
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain('LIFECYCLE_UNSUPPORTED');
    });
});
