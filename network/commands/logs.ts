// `network:logs`: every devnet process's log (<state>/logs/<node>.log) merged in time order, one
// line per event: time, level, node, message, then the event's fields as key=value. Our nodes and
// gateways write JSON lines (network/client/logger.ts); chaincode servers write fabric-shim's text
// lines, and on real Fabric the peers, orderers and CAs write Fabric's, all read here too (colour
// codes dropped); a line without a time (a stack trace, a notice)
// keeps the time of the line before it, so it stays beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isLogLevel, LOG_LEVELS, LogLevel } from '../client/logger';
import { Topology } from '../client/topology';

export interface LogEvent {
    time: string;
    level: LogLevel;
    node: string;
    msg: string;
    fields: Record<string, unknown>;
}

export interface LogFilter {
    /** Keep nodes whose name contains one of these (e.g. "seoul", "peer0.mohw", "orderer"). */
    nodes?: string[];
    /** Lowest level shown. */
    level?: LogLevel;
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const SHIM_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\s+(\w+)\s+(.*)$/;
/** Fabric's peer and orderer (their default format, colour directives dropped): `2026-12-07 00:54:02.497 UTC 0001 INFO [peer] msg`. */
const FABRIC_LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) UTC \w+ (\w+) (.*)$/;
/** Fabric CA server (Go's log package, UTC on our machines): `2026/12/07 00:53:52 [INFO] msg`. */
const FABRIC_CA_LINE = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d) \[(\w+)\] (.*)$/;
const SHIM_LEVELS: Record<string, LogLevel> = {
    debug: 'debug',
    info: 'info',
    warn: 'warn',
    warning: 'warn',
    error: 'error',
    fatal: 'error',
};

/** One line of a log file as an event; `previous` gives a line without a time its time. */
export function parseLine(node: string, line: string, previous?: LogEvent): LogEvent | undefined {
    const text = line.replace(ANSI, '').trimEnd();
    if (!text.trim()) return undefined;
    if (text.startsWith('{')) {
        try {
            const { time, ts, level, node: _node, msg, ...fields } = JSON.parse(text) as Record<string, unknown>;
            const at = typeof time === 'string' ? time : typeof ts === 'string' ? ts : previous?.time;
            if (at) return { time: at, level: isLogLevel(level) ? level : 'info', node, msg: String(msg ?? ''), fields };
        } catch {
            /* not JSON after all: a text line */
        }
    }
    const shim = SHIM_LINE.exec(text);
    if (shim)
        return {
            time: shim[1],
            level: SHIM_LEVELS[shim[2].toLowerCase()] ?? 'info',
            node,
            msg: shim[3].replace(/\s+/g, ' ').trim(),
            fields: {},
        };
    const fabric = FABRIC_LINE.exec(text);
    if (fabric) {
        return {
            time: `${fabric[1]}T${fabric[2]}Z`,
            level: SHIM_LEVELS[fabric[3].toLowerCase()] ?? 'info',
            node,
            msg: fabric[4],
            fields: {},
        };
    }
    const ca = FABRIC_CA_LINE.exec(text);
    if (ca) {
        return {
            time: `${ca[1]}-${ca[2]}-${ca[3]}T${ca[4]}.000Z`,
            level: SHIM_LEVELS[ca[5].toLowerCase()] ?? 'info',
            node,
            msg: ca[6],
            fields: {},
        };
    }
    return { time: previous?.time ?? '', level: previous?.level ?? 'info', node, msg: text, fields: {} };
}

export function keep(e: LogEvent, filter: LogFilter): boolean {
    if (filter.level && LOG_LEVELS[e.level] < LOG_LEVELS[filter.level]) return false;
    return !filter.nodes?.length || filter.nodes.some((n) => e.node.includes(n));
}

const value = (v: unknown): string => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return /[\s"]/.test(s) ? JSON.stringify(s) : s;
};

/** "20:41:02.123 WARN  peer0.seoul.example.gov  block_committed block=5 transactions=1" */
export function formatEvent(e: LogEvent, nodeWidth = 34): string {
    const time = e.time.length >= 23 ? e.time.slice(11, 23) : e.time.padEnd(12);
    const fields = Object.entries(e.fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${value(v)}`)
        .join(' ');
    return `${time} ${e.level.toUpperCase().padEnd(5)} ${e.node.padEnd(nodeWidth)} ${e.msg}${fields ? ` ${fields}` : ''}`;
}

const logDir = (t: Topology) => path.join(t.stateDir, 'logs');

/** Reads a log file from `offset`; returns the complete lines and the offset after the last one. */
function readFrom(file: string, offset: number): { lines: string[]; next: number } {
    const size = fs.statSync(file).size;
    if (size < offset) offset = 0; // truncated or replaced: start again
    if (size === offset) return { lines: [], next: offset };
    const fd = fs.openSync(file, 'r');
    try {
        const buffer = Buffer.alloc(size - offset);
        fs.readSync(fd, buffer, 0, buffer.length, offset);
        const text = buffer.toString('utf8');
        const end = text.lastIndexOf('\n') + 1; // a line still being written waits for the next read
        return { lines: text.slice(0, end).split('\n'), next: offset + Buffer.byteLength(text.slice(0, end)) };
    } finally {
        fs.closeSync(fd);
    }
}

/** Follows every log file of the devnet; `print` gets each batch of new events in time order. */
export class LogReader {
    readonly #offsets = new Map<string, number>();
    readonly #last = new Map<string, LogEvent>();

    constructor(
        readonly t: Topology,
        readonly filter: LogFilter,
    ) {}

    /** Events written since the last call, merged in time order. */
    read(): LogEvent[] {
        const dir = logDir(this.t);
        if (!fs.existsSync(dir)) return [];
        const events: LogEvent[] = [];
        for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.log'))) {
            const node = file.slice(0, -'.log'.length);
            const { lines, next } = readFrom(path.join(dir, file), this.#offsets.get(file) ?? 0);
            this.#offsets.set(file, next);
            for (const line of lines) {
                const e = parseLine(node, line, this.#last.get(node));
                if (!e) continue;
                this.#last.set(node, e);
                if (keep(e, this.filter)) events.push(e);
            }
        }
        // Stable: lines of one file with the same time keep their order.
        return events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    }
}

export interface LogsOptions extends LogFilter {
    follow?: boolean;
    /** Show only the last N events first (all by default; 20 with --follow). */
    tail?: number;
}

/** Prints the merged log; with `follow`, keeps printing new events until the signal. */
export async function printLogs(t: Topology, opts: LogsOptions, print: (line: string) => void, stop?: Promise<void>): Promise<number> {
    const reader = new LogReader(t, opts);
    const first = reader.read();
    const tail = opts.tail ?? (opts.follow ? 20 : undefined);
    const shown = tail === undefined ? first : first.slice(-tail);
    const width = Math.max(20, ...shown.map((e) => e.node.length));
    for (const e of shown) print(formatEvent(e, width));
    if (!opts.follow) return first.length;
    let stopped = false;
    void stop?.then(() => {
        stopped = true;
    });
    while (!stopped) {
        await new Promise((r) => setTimeout(r, 250));
        for (const e of reader.read()) print(formatEvent(e, width));
    }
    return first.length;
}
