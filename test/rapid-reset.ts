// A real rapid-reset flood (CVE-2023-44487's pattern) at a gRPC server: streams opened (their
// request headers sent) and reset at once, a hundred at a time, until the server answers with a
// GOAWAY. Used by the devnet gRPC listener's unit test and the old-client e2e test.
import * as http2 from 'node:http2';
import { withDeadline } from './deadline';

export interface FloodOutcome {
    /** The server's GOAWAY: its error code and debug data. */
    goaway: { code: number; data: string };
    /** How many streams the flood opened and reset before it. */
    opened: number;
}

export async function rapidResetFlood(
    url: string,
    tls: { ca: Buffer; servername?: string },
    grpcPath: string,
    timeoutMs = 20_000,
): Promise<FloodOutcome> {
    const flood = http2.connect(url, tls);
    flood.on('error', () => undefined);
    let opened = 0;
    try {
        const goaway = await withDeadline(
            'the GOAWAY of the flood',
            timeoutMs,
            new Promise<{ code: number; data: string }>((resolve) => {
                flood.once('goaway', (code, _last, data) => resolve({ code, data: data?.toString() ?? '' }));
                const burst = () => {
                    if (flood.destroyed || flood.closed) return;
                    for (let k = 0; k < 100; k++) {
                        const stream = flood.request({
                            ':method': 'POST',
                            ':path': grpcPath,
                            'content-type': 'application/grpc',
                            te: 'trailers',
                        });
                        stream.on('error', () => undefined);
                        stream.close(http2.constants.NGHTTP2_CANCEL);
                        opened++;
                    }
                    setTimeout(burst, 0);
                };
                flood.once('connect', burst);
            }),
        );
        return { goaway, opened };
    } finally {
        flood.destroy();
    }
}
