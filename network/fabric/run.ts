// Runs one of Fabric's command-line tools and turns a failure into an error that says which
// command failed and why (its last output lines).
import { execFile } from 'node:child_process';

export class FabricCommandError extends Error {
    constructor(
        readonly command: string,
        readonly output: string,
    ) {
        super(`FABRIC_COMMAND_FAILED: ${command}\n${output.trim().split('\n').slice(-15).join('\n')}`);
    }
}

export function runTool(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(
            file,
            args,
            { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error) reject(new FabricCommandError(`${file.split('/').pop()} ${args.join(' ')}`, `${stdout}${stderr}`));
                else resolve(`${stdout}${stderr}`);
            },
        );
    });
}
