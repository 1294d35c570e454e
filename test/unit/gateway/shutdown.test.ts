// Graceful shutdown: a stopping gateway finishes what is in flight, refuses new work, and closes
// the Fabric layer and the database.
import * as http from 'node:http';
import { expect } from 'chai';
import { loadConfig } from '../../../gateway/config';
import { SqliteStore } from '../../../gateway/store/sqlite';
import { silentLogger } from '../../../network/client/logger';
import { startGateway } from '../../../gateway/server';
import { AppStore } from '../../../gateway/auth/store';
import { FakeFabric, tmpDbFile } from './fixture';

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, { headers, agent: false }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
    });
}

describe('gateway shutdown', () => {
    it('Given a request in flight, When stopped, Then it completes, new connections are refused, Fabric and SQLite are closed', async () => {
        const dbFile = tmpDbFile();
        const store = SqliteStore.open(dbFile);
        const { apiKey } = await new AppStore(store).create({
            name: 'welfare-app',
            mspId: 'MOHWMSP',
            identity: 'welfare',
            role: 'department',
            dept: 'welfare',
        });
        const fabric = new FakeFabric(async () => {
            await new Promise((r) => setTimeout(r, 300));
            return { cardId: 'card-0001', status: 'ACTIVE' };
        });
        const cfg = { ...loadConfig({ org: 'MOHWMSP', port: 0, databaseFile: dbFile }, {}), host: '127.0.0.1', shutdownGraceMs: 5_000 };
        const gw = await startGateway(cfg, { fabric, store, log: silentLogger });
        const headers = { Authorization: `Bearer ${apiKey}` };
        const inflight = get(`${gw.url}/v1/cards/card-0001`, headers);
        for (let i = 0; i < 400 && fabric.evaluates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
        const stopped = gw.stop();
        const res = await inflight;
        expect(res.status).to.equal(200);
        expect(JSON.parse(res.body).card.status).to.equal('ACTIVE');
        await stopped;
        const after = await get(`${gw.url}/healthz`, {}).then(
            () => 'answered',
            (e: NodeJS.ErrnoException) => e.code,
        );
        expect(after).to.equal('ECONNREFUSED');
        expect(fabric.closed).to.equal(true);
        expect(store.db.isOpen).to.equal(false);
    });
});
