// Schemathesis (a property-based fuzzer of OpenAPI documents, from PyPI) run against a gateway's
// own document: installed once into a virtual environment under node_modules/.cache at a pinned
// version, run as a child process with a deadline, and its NDJSON report read back into a count of
// requests and a list of failures (each check that failed, per operation, deduplicated).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../network/client/topology';

/** Pinned: a run is repeatable with the same seed, and the checks' meaning does not move under us. */
export const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(REPO_ROOT, 'node_modules', '.cache', `schemathesis-${SCHEMATHESIS_VERSION}`);
const BIN = path.join(VENV, 'bin', 'schemathesis');

export type Installed = { bin: string } | { notRun: string };

/** The schemathesis command, installing it first if needed; or why it cannot be had here. */
export function ensureSchemathesis(log: (line: string) => void = () => undefined): Installed {
    const stamp = path.join(VENV, 'installed');
    if (fs.existsSync(stamp) && fs.existsSync(BIN)) return { bin: BIN };
    const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0);
    if (!python) return { notRun: 'no python3 on PATH (Schemathesis is a Python program)' };
    log(`installing Schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(REPO_ROOT, VENV)} (once, about 15 s)`);
    fs.rmSync(VENV, { recursive: true, force: true });
    const venv = spawnSync(python, ['-m', 'venv', VENV], { encoding: 'utf8', timeout: 60_000 });
    if (venv.status !== 0) return { notRun: `${python} -m venv failed: ${(venv.stderr || venv.stdout).trim().slice(-300)}` };
    const pip = spawnSync(
        path.join(VENV, 'bin', 'pip'),
        ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`],
        { encoding: 'utf8', timeout: 300_000 },
    );
    if (pip.status !== 0)
        return {
            notRun: `pip install schemathesis==${SCHEMATHESIS_VERSION} failed (is PyPI reachable?): ${pip.stderr.trim().slice(-300)}`,
        };
    fs.writeFileSync(stamp, `${SCHEMATHESIS_VERSION}\n`);
    return { bin: BIN };
}

export interface FuzzRun {
    /** What is fuzzed, for messages: e.g. `MOHWMSP welfare (negative)`. */
    label: string;
    /** The gateway's document, e.g. http://127.0.0.1:3003/openapi.json. */
    spec: string;
    /** Sent with every request (the credentials: Authorization or Cookie). */
    headers: Record<string, string>;
    mode: 'positive' | 'negative';
    /** Operations whose path matches (e.g. ^/v1/). */
    includePath: string;
    /** Operations to leave out, by path regex. */
    excludePath?: string;
    maxExamples: number;
    seed: number;
    /** Schemathesis phases: coverage (boundary and invalid values of every keyword), fuzzing (random). */
    phases?: string[];
    workers?: number;
    /** The child is killed after this long (the run fails). */
    timeoutMs: number;
    reportDir: string;
}

export interface FuzzFailure {
    operation: string;
    check: string;
    /** Schemathesis's failure code (ST103 undocumented status, ST201 invalid request accepted, ...). */
    code: string;
    title: string;
    message: string;
}

export interface FuzzResult {
    label: string;
    /** HTTP requests sent. */
    requests: number;
    /** Generated test cases. */
    cases: number;
    /** Requests answered, by status. */
    statuses: Record<string, number>;
    failures: FuzzFailure[];
    /** Errors of the fuzzer itself (a schema it could not use, a crash). */
    errors: string[];
    exitCode: number | null;
    seconds: number;
}

/** The checks of each mode: a 5xx, an answer its document does not describe, an invalid request accepted. */
const CHECKS: Record<FuzzRun['mode'], string[]> = {
    positive: ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'],
    negative: [
        'not_a_server_error',
        'status_code_conformance',
        'content_type_conformance',
        'response_schema_conformance',
        'negative_data_rejection',
    ],
};

/**
 * The statuses that refuse a request that breaks the document: Schemathesis's own list, plus 413
 * and 431, with which the gateway (and Node's HTTP server under it) refuses a body or a request
 * line too large: invalid data rejected, as documented.
 */
export const REJECTION_STATUSES = ['400', '401', '403', '404', '405', '406', '409', '413', '415', '422', '428', '429', '431'];

const CONFIG = `[checks.negative_data_rejection]\nexpected-statuses = [${REJECTION_STATUSES.map((s) => `"${s}"`).join(', ')}]\n`;

export function fuzzArgs(run: FuzzRun, configFile: string): string[] {
    return [
        '--config-file',
        configFile,
        'run',
        run.spec,
        ...Object.entries(run.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
        '--mode',
        run.mode,
        '--checks',
        CHECKS[run.mode].join(','),
        '--include-path-regex',
        run.includePath,
        ...(run.excludePath ? ['--exclude-path-regex', run.excludePath] : []),
        '--phases',
        (run.phases ?? ['coverage', 'fuzzing']).join(','),
        '--max-examples',
        String(run.maxExamples),
        '--seed',
        String(run.seed),
        '--workers',
        String(run.workers ?? 2),
        '--generation-with-security-parameters',
        'false',
        '--request-timeout',
        '30',
        '--continue-on-failure',
        '--no-color',
        '--report',
        'ndjson',
        '--report-dir',
        run.reportDir,
    ];
}

/** Runs Schemathesis once and reads its report. */
export async function runFuzz(bin: string, run: FuzzRun): Promise<FuzzResult> {
    fs.rmSync(run.reportDir, { recursive: true, force: true });
    fs.mkdirSync(run.reportDir, { recursive: true });
    const started = Date.now();
    // In the report folder: Schemathesis keeps its example database (.schemathesis/) in its working folder.
    const configFile = path.join(run.reportDir, 'schemathesis.toml');
    fs.writeFileSync(configFile, CONFIG);
    const child = spawn(bin, fuzzArgs(run, configFile), {
        cwd: run.reportDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000)));
    const exitCode = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs);
        child.on('close', (code) => {
            clearTimeout(timer);
            resolve(code);
        });
    });
    const seconds = (Date.now() - started) / 1000;
    const report = fs.readdirSync(run.reportDir).find((f) => f.endsWith('.ndjson'));
    if (!report) {
        return {
            label: run.label,
            requests: 0,
            cases: 0,
            statuses: {},
            failures: [],
            errors: [
                `no report (exit ${exitCode}${seconds * 1000 >= run.timeoutMs ? ', killed at the deadline' : ''}): ${output.slice(-1500)}`,
            ],
            exitCode,
            seconds,
        };
    }
    return { ...readReport(fs.readFileSync(path.join(run.reportDir, report), 'utf8')), label: run.label, exitCode, seconds };
}

interface Check {
    name: string;
    status: string;
    failure_info?: { failure?: { code?: string; title?: string; message?: string; operation?: string } };
}
interface Interaction {
    response?: { status_code?: number };
}

/** Counts and failures from Schemathesis's NDJSON events (one JSON object per line). */
export function readReport(ndjson: string): Omit<FuzzResult, 'label' | 'exitCode' | 'seconds'> {
    let requests = 0;
    let cases = 0;
    const statuses: Record<string, number> = {};
    const failures = new Map<string, FuzzFailure>();
    const errors: string[] = [];
    for (const line of ndjson.split('\n')) {
        if (!line.trim()) continue;
        const event = JSON.parse(line) as Record<string, Record<string, unknown>>;
        const finished = event.ScenarioFinished as
            | {
                  recorder?: {
                      label?: string;
                      cases?: object;
                      interactions?: Record<string, Interaction>;
                      checks?: Record<string, Check[]>;
                  };
              }
            | undefined;
        if (finished?.recorder) {
            const r = finished.recorder;
            cases += Object.keys(r.cases ?? {}).length;
            for (const i of Object.values(r.interactions ?? {})) {
                requests++;
                const s = String(i.response?.status_code ?? 'none');
                statuses[s] = (statuses[s] ?? 0) + 1;
            }
            for (const checks of Object.values(r.checks ?? {})) {
                for (const c of checks) {
                    if (c.status !== 'failure') continue;
                    const f = c.failure_info?.failure ?? {};
                    const operation = f.operation ?? r.label ?? '?';
                    const key = `${operation}|${c.name}|${f.code}|${f.message?.split('\n')[0]}`;
                    if (!failures.has(key))
                        failures.set(key, { operation, check: c.name, code: f.code ?? '', title: f.title ?? '', message: f.message ?? '' });
                }
            }
        }
        const nonFatal = event.NonFatalError as { label?: string; value?: { type?: string; message?: string } } | undefined;
        if (nonFatal) errors.push(`${nonFatal.label ?? ''}: ${nonFatal.value?.type ?? ''} ${nonFatal.value?.message ?? ''}`.trim());
        const fatal = event.FatalError as Record<string, unknown> | undefined;
        if (fatal) errors.push(`fatal: ${JSON.stringify(fatal).slice(0, 500)}`);
    }
    return { requests, cases, statuses, failures: [...failures.values()], errors };
}

/** One line per failure, and the counts: what a test prints and a failing assertion shows. */
export function describeResult(r: FuzzResult): string {
    const statuses = Object.entries(r.statuses)
        .sort()
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
    const lines = [`${r.label}: ${r.requests} requests, ${r.cases} cases in ${r.seconds.toFixed(1)} s (${statuses})`];
    for (const f of r.failures) lines.push(`  ${f.code} ${f.check} ${f.operation}: ${f.message.replace(/\s+/g, ' ').slice(0, 300)}`);
    for (const e of r.errors) lines.push(`  error: ${e.replace(/\s+/g, ' ').slice(0, 300)}`);
    return lines.join('\n');
}
