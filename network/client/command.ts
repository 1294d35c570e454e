// How a command-line program of the tooling ends: with the exit code its main returns, or with its
// error's message (which starts with a stable code) on stderr and exit code 1.
export function runCommand(main: () => Promise<number>): void {
    main().then(
        (code) => process.exit(code),
        (e: Error) => {
            process.stderr.write(`${e.message}\n`);
            process.exit(1);
        },
    );
}
