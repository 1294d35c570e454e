// Finds Fabric's binaries (FABRIC_BIN, else PATH) and the release's sample configuration folder
// (FABRIC_CFG_PATH, else <bin>/../config), and checks their versions before anything starts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FABRIC_VERSION = '3.1.5';
export const FABRIC_CA_VERSION = '1.5.21';

export const FABRIC_TOOLS = ['peer', 'orderer', 'configtxgen', 'osnadmin', 'fabric-ca-server', 'fabric-ca-client'] as const;
export type FabricTool = (typeof FABRIC_TOOLS)[number];

export interface FabricBinaries {
    /** Absolute path of each tool. */
    bin: Record<FabricTool, string>;
    /** The release's config/ folder: sample core.yaml and orderer.yaml our settings are laid over. */
    configDir: string;
}

export class FabricBinariesError extends Error {
    constructor(
        readonly code: 'FABRIC_BINARIES_MISSING' | 'FABRIC_VERSION_MISMATCH' | 'FABRIC_CONFIG_MISSING',
        message: string,
    ) {
        super(`${code}: ${message}`);
    }
}

export const INSTALL_HINT =
    `Install Fabric v${FABRIC_VERSION} and Fabric CA v${FABRIC_CA_VERSION}: \`npm run fabric:install\` (downloads the official release ` +
    `archives into .fabric-bin/), or Fabric's install script (curl -sSLO https://raw.githubusercontent.com/hyperledger/fabric/main/scripts/install-fabric.sh && ` +
    `bash install-fabric.sh --fabric-version ${FABRIC_VERSION} --ca-version ${FABRIC_CA_VERSION} binary); then set FABRIC_BIN to the bin/ folder (or put it on PATH).`;

function which(tool: string, dirs: string[]): string | undefined {
    for (const dir of dirs) {
        const file = path.join(dir, tool);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return file;
        } catch {
            /* not here */
        }
    }
    return undefined;
}

/** Where the binaries are looked for: $FABRIC_BIN alone when set, else the project's .fabric-bin/bin, then $PATH. */
export function searchDirs(env: NodeJS.ProcessEnv, projectBin: string): string[] {
    if (env.FABRIC_BIN) return [path.resolve(env.FABRIC_BIN)];
    return [projectBin, ...(env.PATH ?? '').split(path.delimiter).filter(Boolean)];
}

/**
 * One tool (e.g. `configtxlator`, which the network tooling itself does not need) where
 * findFabricBinaries looks, or undefined: for callers that run without it when it is missing.
 */
export function findFabricTool(tool: string, root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    return which(tool, searchDirs(env, path.join(root, '.fabric-bin', 'bin')));
}

/** The version printed by `<tool> version` ("Version: 3.1.5" / "Version: v1.5.21"). */
export function parseVersion(output: string): string | undefined {
    return /^\s*Version:\s*v?([0-9][^\s]*)/m.exec(output)?.[1];
}

export function findFabricBinaries(root: string, env: NodeJS.ProcessEnv = process.env): FabricBinaries {
    const dirs = searchDirs(env, path.join(root, '.fabric-bin', 'bin'));
    const bin = {} as Record<FabricTool, string>;
    const missing: string[] = [];
    for (const tool of FABRIC_TOOLS) {
        const found = which(tool, dirs);
        if (found) bin[tool] = found;
        else missing.push(tool);
    }
    if (missing.length > 0) {
        throw new FabricBinariesError(
            'FABRIC_BINARIES_MISSING',
            `${missing.join(', ')} not found in ${env.FABRIC_BIN ? `FABRIC_BIN=${env.FABRIC_BIN}` : 'PATH or .fabric-bin/bin'}. ${INSTALL_HINT}`,
        );
    }
    const expect: [FabricTool, string][] = [
        ['peer', FABRIC_VERSION],
        ['orderer', FABRIC_VERSION],
        ['fabric-ca-server', FABRIC_CA_VERSION],
    ];
    for (const [tool, wanted] of expect) {
        let output = '';
        try {
            output = execFileSync(bin[tool], ['version'], { encoding: 'utf8', timeout: 10_000 });
        } catch (e) {
            output = String((e as { stdout?: string }).stdout ?? '');
        }
        const version = parseVersion(output);
        if (version !== wanted) {
            throw new FabricBinariesError(
                'FABRIC_VERSION_MISMATCH',
                `${bin[tool]} is version ${version ?? '(unknown)'}, this project needs ${wanted}. ${INSTALL_HINT}`,
            );
        }
    }
    const configDir = path.resolve(env.FABRIC_CFG_PATH ?? path.join(path.dirname(bin.peer), '..', 'config'));
    for (const file of ['core.yaml', 'orderer.yaml']) {
        if (!fs.existsSync(path.join(configDir, file))) {
            throw new FabricBinariesError(
                'FABRIC_CONFIG_MISSING',
                `${path.join(configDir, file)} not found: the release archive's config/ folder must sit beside bin/ (or set FABRIC_CFG_PATH). ${INSTALL_HINT}`,
            );
        }
    }
    return { bin, configDir };
}

/** The binaries if present, else undefined: for tests that must say they did not run. */
export function fabricBinariesOrUndefined(root: string): FabricBinaries | undefined {
    try {
        return findFabricBinaries(root);
    } catch {
        return undefined;
    }
}
