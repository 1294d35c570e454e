// A real rapid-reset flood (CVE-2023-44487's pattern) at a gRPC server: streams opened (their
// request headers sent, the request not ended) and reset in the same write, a hundred at a time,
// until the server answers with a GOAWAY. Used by the devnet gRPC listener's unit test and the
// old-client e2e test.
import { withDeadline } from './deadline';
import { ResettingClient } from './resetting-client';

export interface FloodOutcome {
    /** The server's GOAWAY: its error code and debug data. */
    goaway: { code: number; data: string };
    /** How many streams the flood opened and reset before it. */
    opened: number;
}

export async function rapidResetFlood(
    target: { host: string; port: number },
    tls: { ca: Buffer; servername?: string },
    grpcPath: string,
    timeoutMs = 20_000,
): Promise<FloodOutcome> {
    const flood = await ResettingClient.connect(target.port, tls.ca, tls.servername ?? 'localhost', target.host);
    try {
        const goaway = await withDeadline(
            'the GOAWAY of the flood',
            timeoutMs,
            new Promise<{ code: number; data: string }>((resolve, reject) => {
                const burst = () => {
                    if (flood.goaway) resolve({ code: flood.goaway.code, data: flood.goaway.debug });
                    else if (!flood.floodBurst(grpcPath, 100)) reject(new Error('FLOOD_ENDED: the connection closed without a GOAWAY'));
                    else setTimeout(burst, 0);
                };
                burst();
            }),
        );
        return { goaway, opened: flood.floodOpened };
    } finally {
        flood.close();
    }
}
