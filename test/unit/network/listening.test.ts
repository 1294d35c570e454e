// waitListening: "up" means a client can connect, not only that /healthz answers (Fabric's peer,
// orderer and CA answer their operations health check before their gRPC or admin listeners open).
import * as net from 'node:net';
import { expect } from 'chai';
import { portFree, waitListening } from '../../../network/devnet/processes';

/** A port nothing listens on now (the kernel's pick, released). */
async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

describe('waitListening', () => {
    const servers: net.Server[] = [];
    afterEach(async () => {
        await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    });
    const listenOn = (port: number) =>
        new Promise<void>((resolve) => {
            const server = net.createServer();
            servers.push(server);
            server.listen(port, '127.0.0.1', resolve);
        });

    it('Given a port that starts listening late, When waited for, Then it resolves only once the port listens', async () => {
        const [early, late] = [await freePort(), await freePort()];
        await listenOn(early);
        let listeningLate = false;
        const opening = new Promise<void>((resolve) =>
            setTimeout(async () => {
                await listenOn(late);
                listeningLate = true;
                resolve();
            }, 600),
        );
        await waitListening('127.0.0.1', [early, late], { timeoutMs: 10_000, name: 'late node', pollMs: 50 });
        expect(listeningLate, 'resolved before the late port listened').to.equal(true);
        expect(await portFree('127.0.0.1', late)).to.equal(false);
        await opening;
    });

    it('Given a port nothing listens on, When the time is up, Then NODE_NOT_LISTENING names the port and the node', async () => {
        const port = await freePort();
        const err = await waitListening('127.0.0.1', [port], { timeoutMs: 300, name: 'silent node', pollMs: 50 }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.match(new RegExp(`^NODE_NOT_LISTENING: nothing listens on 127\\.0\\.0\\.1:${port} \\(silent node\\)`));
    });

    it('Given a node that exits while its port is closed, Then NODE_EXITED at once, not after the timeout', async () => {
        const port = await freePort();
        const err = await waitListening('127.0.0.1', [port], { timeoutMs: 60_000, name: 'crashed node', alive: () => false }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.equal(`NODE_EXITED: crashed node exited before listening on 127.0.0.1:${port}`);
    });
});
