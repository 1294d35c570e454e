// npm run fabric:install: downloads the official Fabric v3.1.5 and Fabric CA v1.5.21 release
// archives for this machine into .fabric-bin/ (bin/ and config/), where `--fabric` finds them.
// Needs github.com to be reachable (our development machines reach no release host).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../client/topology';
import { FABRIC_VERSION, FABRIC_CA_VERSION } from './binaries';
import { runCommand } from '../client/command';

const HELP = `Usage: npm run fabric:install [-- --dir DIR]
Downloads Hyperledger Fabric v${FABRIC_VERSION} and Fabric CA v${FABRIC_CA_VERSION} release archives for this
OS and architecture and unpacks them into DIR (default .fabric-bin/), which --fabric commands search.`;

export function releaseUrls(platform: string, arch: string): string[] {
    const os = { linux: 'linux', darwin: 'darwin' }[platform];
    const cpu = { x64: 'amd64', arm64: 'arm64' }[arch];
    if (!os || !cpu) throw new Error(`FABRIC_PLATFORM_UNSUPPORTED: Fabric publishes no release for ${platform}/${arch}`);
    return [
        `https://github.com/hyperledger/fabric/releases/download/v${FABRIC_VERSION}/hyperledger-fabric-${os}-${cpu}-${FABRIC_VERSION}.tar.gz`,
        `https://github.com/hyperledger/fabric-ca/releases/download/v${FABRIC_CA_VERSION}/hyperledger-fabric-ca-${os}-${cpu}-${FABRIC_CA_VERSION}.tar.gz`,
    ];
}

async function main(argv: string[]): Promise<number> {
    if (argv.includes('--help')) {
        process.stdout.write(`${HELP}\n`);
        return 0;
    }
    const at = argv.indexOf('--dir');
    const dir = path.resolve(at >= 0 ? argv[at + 1] : path.join(REPO_ROOT, '.fabric-bin'));
    fs.mkdirSync(dir, { recursive: true });
    for (const url of releaseUrls(process.platform, process.arch)) {
        process.stdout.write(`downloading ${url}\n`);
        let response: Response;
        try {
            response = await fetch(url, { redirect: 'follow' });
        } catch (e) {
            throw new Error(`FABRIC_DOWNLOAD_FAILED: ${url}: ${(e as Error).message} (is github.com reachable from here?)`);
        }
        if (!response.ok) throw new Error(`FABRIC_DOWNLOAD_FAILED: ${url}: HTTP ${response.status}`);
        const archive = path.join(dir, path.basename(url));
        fs.writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
        execFileSync('tar', ['-xzf', archive, '-C', dir]);
        fs.rmSync(archive);
    }
    process.stdout.write(
        `installed into ${dir}: bin/ and config/ (the --fabric commands look there; or set FABRIC_BIN=${path.join(dir, 'bin')})\n`,
    );
    return 0;
}

if (require.main === module) runCommand(() => main(process.argv.slice(2)));
