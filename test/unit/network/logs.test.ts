// One logger, one field set, and `network:logs`: every process's log merged in time order, one
// readable line per event, colour codes dropped, filtered by node and level.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { formatEvent, LogReader, parseLine, printLogs } from '../../../network/commands/logs';
import { withoutColour } from '../../../network/devnet/plain-output';
import { chaincodeNode } from '../../../network/devnet/processes';
import { createLogger } from '../../../network/client/logger';
import { loadTopology, Topology } from '../../../network/client/topology';
import { withDeadline } from '../../deadline';

describe('logs', () => {
    it('Given a node and a gateway, Then both write time, level, node and msg first, and secret or personal fields are redacted', () => {
        const lines: string[] = [];
        createLogger({ node: 'peer0.seoul.example.gov' }, 'info', (l) => lines.push(l)).info('block_committed', { block: 3 });
        createLogger({ node: 'gateway.seoul.example.gov' }, 'info', (l) => lines.push(l)).warn('request', {
            authorization: 'Bearer k',
            body: { name: 'Kim' },
            status: 401,
        });
        const [peer, gateway] = lines.map((l) => JSON.parse(l));
        expect(Object.keys(peer)).to.deep.equal(['time', 'level', 'node', 'msg', 'block']);
        expect(Object.keys(gateway).slice(0, 4)).to.deep.equal(['time', 'level', 'node', 'msg']);
        expect(gateway).to.include({ authorization: '[redacted]', body: '[redacted]', status: 401 });
        expect(lines.join('\n')).not.to.match(/Kim|Bearer/);
    });

    it('Given info lines, a warning and then a fatal exception, Then the process wrote every line once, in order, the info lines of one turn in one write', () => {
        const logger = require.resolve('../../../network/client/logger');
        // Counts the writes to stdout: the three info lines of the first turn go out in one.
        const script = `
            const writes = [];
            const write = process.stdout.write.bind(process.stdout);
            process.stdout.write = (chunk, ...rest) => { writes.push(String(chunk).split('\\n').length - 1); return write(chunk, ...rest); };
            const { createLogger } = require(${JSON.stringify(logger)});
            const log = createLogger({ node: 'n' }, 'info');
            log.info('a'); log.info('b'); log.info('c');
            setImmediate(() => {
                log.info('d');
                log.warn('e');
                log.info('f');
                process.stderr.write(JSON.stringify(writes) + '\\n');
                throw new Error('boom');
            });`;
        const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
        expect(run.status).to.equal(1);
        const msgs = run.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).msg);
        expect(msgs).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
        // a, b, c in one write; d and e at the warning; f at exit.
        expect(run.stderr.split('\n')[0]).to.equal('[3,2]');
        expect(run.stderr).to.contain('boom');
    });

    it('Given a debug event below the level, Then nothing is written', () => {
        const lines: string[] = [];
        createLogger({ node: 'x' }, 'warn', (l) => lines.push(l)).info('ignored');
        expect(lines).to.deep.equal([]);
    });

    it("Given a fabric-shim line with colour codes, Then the event has its time and level and no escape codes; a line without a time keeps the previous line's", () => {
        const shim = parseLine(
            'chaincode-citizencard.seoul.example.gov',
            '2026-11-29T20:34:25.885Z \u001b[31merror\u001b[39m [c-api:contracts-spi/chaincodefromcontract.js]     ChaincodeError: CARD_NOT_FOUND ',
        );
        expect(shim).to.deep.include({ time: '2026-11-29T20:34:25.885Z', level: 'error' });
        expect(shim?.msg).to.equal('[c-api:contracts-spi/chaincodefromcontract.js] ChaincodeError: CARD_NOT_FOUND');
        const trace = parseLine('chaincode-citizencard.seoul.example.gov', '    at Object.<anonymous> (x.js:1:1)', shim);
        expect(trace).to.deep.include({ time: shim?.time, level: 'error', msg: '    at Object.<anonymous> (x.js:1:1)' });
        expect(parseLine('n', '   ')).to.equal(undefined);
    });

    it("Given real Fabric's lines (peer and orderer, Fabric CA, a Go chaincode server), Then each has its time and level, and a continuation line keeps them", () => {
        const peer = parseLine(
            'peer0.org1.example.com',
            '2026-12-07 00:54:02.497 UTC 0001 WARN [gossip.privdata] fetch -> Do not know any peer',
        );
        expect(peer).to.deep.include({
            time: '2026-12-07T00:54:02.497Z',
            level: 'warn',
            msg: '[gossip.privdata] fetch -> Do not know any peer',
        });
        expect(parseLine('peer0.org1.example.com', ' Version: 3.1.5', peer)).to.deep.include({ time: peer?.time, level: 'warn' });
        const ca = parseLine('ca.org1.example.com', '2026/12/07 00:53:52 [INFO] Listening on https://127.0.0.1:7054');
        expect(ca).to.deep.include({ time: '2026-12-07T00:53:52.000Z', level: 'info', msg: 'Listening on https://127.0.0.1:7054' });
        const go = parseLine(
            'chaincode-asset-go.org1.example.com',
            '2026-12-07T01:31:19.120Z INFO chaincode server asset-go:1.0 listening',
        );
        expect(go).to.deep.include({ time: '2026-12-07T01:31:19.120Z', level: 'info', msg: 'chaincode server asset-go:1.0 listening' });
    });

    it('Given an event, Then it reads as one line: time of day, level, node, message, fields', () => {
        const line = formatEvent(
            {
                time: '2026-11-29T20:41:02.123Z',
                level: 'info',
                node: 'peer0.seoul.example.gov',
                msg: 'block_committed',
                fields: { block: 5, reason: 'a b' },
            },
            24,
        );
        expect(line).to.equal('20:41:02.123 INFO  peer0.seoul.example.gov  block_committed block=5 reason="a b"');
    });

    describe('Given the log files of three processes', () => {
        let t: Topology;
        let logs: string;
        beforeEach(() => {
            const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-'));
            t = { stateDir, root: stateDir } as Topology;
            logs = path.join(stateDir, 'logs');
            fs.mkdirSync(logs);
            const json = (time: string, level: string, msg: string) => JSON.stringify({ time, level, msg });
            fs.writeFileSync(
                path.join(logs, 'peer0.seoul.example.gov.log'),
                `${json('2026-11-29T10:00:00.300Z', 'info', 'block_committed')}\n${json('2026-11-29T10:00:00.100Z', 'warn', 'slow')}\n`,
            );
            fs.writeFileSync(
                path.join(logs, 'orderer.seoul.example.gov.log'),
                `${json('2026-11-29T10:00:00.200Z', 'info', 'block_cut')}\n`,
            );
            // The older field name of the devnet's nodes is still read.
            fs.writeFileSync(
                path.join(logs, 'gateway.mohw.example.gov.log'),
                `{"ts":"2026-11-29T10:00:00.000Z","level":"error","msg":"refused"}\n`,
            );
        });

        it('Then they are merged in time order, each line naming its node', () => {
            const events = new LogReader(t, {}).read();
            expect(events.map((e) => `${e.node} ${e.msg}`)).to.deep.equal([
                'gateway.mohw.example.gov refused',
                'peer0.seoul.example.gov slow',
                'orderer.seoul.example.gov block_cut',
                'peer0.seoul.example.gov block_committed',
            ]);
        });

        it('Then --node and --level keep only the matching events', () => {
            // Seoul runs the ordering node too: a node's name says whose machine it is on.
            expect(new LogReader(t, { nodes: ['seoul'] }).read().map((e) => e.msg)).to.deep.equal(['slow', 'block_cut', 'block_committed']);
            expect(new LogReader(t, { nodes: ['peer0.seoul'] }).read().map((e) => e.msg)).to.deep.equal(['slow', 'block_committed']);
            expect(new LogReader(t, { level: 'warn' }).read().map((e) => e.msg)).to.deep.equal(['refused', 'slow']);
        });

        it('When a process writes more, Then following prints only the new events', async () => {
            const printed: string[] = [];
            let stop!: () => void;
            const stopped = new Promise<void>((r) => {
                stop = r;
            });
            const following = printLogs(t, { follow: true, tail: 1 }, (l) => printed.push(l), stopped);
            await new Promise((r) => setTimeout(r, 100));
            fs.appendFileSync(
                path.join(logs, 'orderer.seoul.example.gov.log'),
                `${JSON.stringify({ time: '2026-11-29T10:00:01.000Z', level: 'info', msg: 'later' })}\n`,
            );
            await new Promise((r) => setTimeout(r, 600));
            stop();
            await withDeadline('printLogs --follow to return once stopped', 5000, following);
            expect(printed).to.have.length(2);
            expect(printed[0]).to.match(/block_committed$/);
            expect(printed[1]).to.match(/^10:00:01\.000 INFO +orderer\.seoul\.example\.gov +later$/);
        });
    });
});

describe('chaincode server output', () => {
    it('Given a process started like the chaincode servers (with the plain-output preload), When it writes coloured lines, Then its output holds no escape codes', () => {
        const t = loadTopology();
        const node = chaincodeNode(t, t.chaincodes[0], t.orgs[0]);
        const preload = node.command[node.command.indexOf('--require') + 1];
        expect(fs.existsSync(preload), preload).to.equal(true);
        const out = execFileSync(
            process.execPath,
            [
                '--require',
                preload,
                '-e',
                "process.stdout.write('\\u001b[32minfo\\u001b[39m started\\n'); process.stderr.write(Buffer.from('\\u001b[31merror\\u001b[39m x\\n'))",
            ],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 },
        );
        expect(out).to.equal('info started\n');
        expect(withoutColour(Buffer.from('\u001b[31merror\u001b[39m x'))).to.equal('error x');
    });

    it("Given fabric-shim's logger under the preload, When a line is below CORE_CHAINCODE_LOGGING_LEVEL, Then winston does not format it, and the lines at or above the level are written as before", () => {
        const t = loadTopology();
        const node = chaincodeNode(t, t.chaincodes[0], t.orgs[0]);
        const preload = node.command[node.command.indexOf('--require') + 1];
        // A getter on the line counts every time winston's formats read it.
        const script = `
            const logger = require('fabric-shim/lib/logger').getLogger('lib/handler.js');
            let reads = 0;
            const line = (message) => Object.defineProperty({ message }, 'probe', { enumerable: true, configurable: true, get: () => ++reads });
            logger.debug(line('a debug line'));
            logger.info(line('an info line'));
            const hidden = reads;
            logger.warn(line('a warning'));
            logger.error(line('an error'));
            require('fabric-shim/lib/logger').setLevel('DEBUG');
            logger.debug(line('debug after setLevel'));
            process.stderr.write('reads ' + hidden + ' ' + reads + '\\n');`;
        const run = (args: string[]) =>
            spawnSync(process.execPath, [...args, '-e', script], {
                encoding: 'utf8',
                cwd: t.root,
                env: { ...process.env, NO_COLOR: '1', CORE_CHAINCODE_LOGGING_LEVEL: 'WARNING' },
            });
        const without = run([]);
        const withPreload = run(['--require', preload]);
        for (const r of [without, withPreload]) {
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout + r.stderr)
                .to.not.include('a debug line')
                .and.not.include('an info line');
            expect(r.stdout + r.stderr)
                .to.include('a warning')
                .and.include('an error')
                .and.include('debug after setLevel');
        }
        const reads = (r: { stderr: string }) => /reads (\d+) (\d+)/.exec(r.stderr)!.slice(1).map(Number);
        const [hiddenWithout] = reads(without);
        const [hiddenWith, allWith] = reads(withPreload);
        expect(hiddenWithout, 'winston alone formats the lines it then drops').to.be.greaterThan(0);
        expect(hiddenWith, 'with the preload, the dropped lines are not formatted').to.equal(0);
        expect(allWith, 'the written lines are formatted').to.be.greaterThan(0);
    });

    it("Given a chaincode server's start (fabric-shim's ChaincodeServer on grpc-js), Then grpc-js's start() deprecation is not printed, other warnings are", () => {
        const t = loadTopology();
        const node = chaincodeNode(t, t.chaincodes[0], t.orgs[0]);
        const preload = node.command[node.command.indexOf('--require') + 1];
        const script = `
            const shim = require('fabric-shim');
            const server = shim.server({ Init: async () => ({}), Invoke: async () => ({}) }, { ccid: 'cc:1', address: '127.0.0.1:0' });
            server.start().then(() => {
                require('node:util').deprecate(() => {}, 'another deprecation', 'DEP_TEST')();
                server._server.forceShutdown();
            });`;
        const run = (args: string[]) =>
            spawnSync(process.execPath, [...args, '-e', script], { encoding: 'utf8', cwd: t.root, env: { ...process.env, NO_COLOR: '1' } });
        const GRPC_START_DEPRECATION = 'Calling start() is no longer necessary. It can be safely omitted.';
        const without = run([]);
        expect(without.status, without.stderr).to.equal(0);
        expect(without.stderr).to.include(GRPC_START_DEPRECATION);
        const withPreload = run(['--require', preload]);
        expect(withPreload.status, withPreload.stderr).to.equal(0);
        expect(withPreload.stderr).to.not.include(GRPC_START_DEPRECATION);
        expect(withPreload.stderr).to.include('another deprecation');
    });
});
