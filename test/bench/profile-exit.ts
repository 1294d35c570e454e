// Loaded into each profiled node process (--require, by `--cpu-prof` of the benchmarks): a process
// whose only answer to SIGTERM is to die (a chaincode server: fabric-shim sets no handler) exits
// instead, so V8 writes its CPU profile. A process with its own SIGTERM handler keeps it.
process.on('SIGTERM', () => {
    if (process.listenerCount('SIGTERM') === 1) process.exit(0);
});
