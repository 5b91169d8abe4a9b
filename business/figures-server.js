// Generated from business/figures-server.ts by `npm run figures-js`: edit that file, not this one.
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Figures = exports.APPLICATION_ATTRIBUTE = void 0;
exports.amountInFen = amountInFen;
exports.yuan = yuan;
exports.dayOf = dayOf;
exports.chinaDay = chinaDay;
exports.eventsOf = eventsOf;
exports.exposition = exposition;
exports.serve = serve;
/**
 * The business figures service (业务实时监控) of one site: the collector beside each application sends
 * every settlement event it reads (OTLP/HTTP, JSON) here; this service counts each event once (by
 * application and event id, even when the collector sends it again after a restart) and sums its amount
 * exactly, in fen, per application, business type, institution and day. It serves the figures to
 * Prometheus (`/metrics`) and as JSON (`/api/figures?day=YYYY-MM-DD`).
 *
 * Nothing is lost: an event is acknowledged only once it is appended to the day's journal and the journal
 * is flushed to disk (fsync), and the journals are read back at start. Events the declaration does not
 * allow (no id, an unknown type, an amount that is not a number of yuan with at most two decimals, a time
 * without a date) are not counted, and counted as rejected by reason.
 *
 * Runs as `node figures-server.js <config.json> <data directory> [port]` on Node's standard library only;
 * the deployed file is business/figures-server.js, this file's transpilation (test/business-figures.test.ts
 * keeps them equal: `npm run figures-js` writes it).
 */
const node_fs_1 = require("node:fs");
const node_http_1 = require("node:http");
const node_path_1 = require("node:path");
const node_zlib_1 = require("node:zlib");
/** The resource attribute the collector sets on every event of an application (business/collector-config.ts). */
exports.APPLICATION_ATTRIBUTE = 'hsa.application';
/** Amount in yuan (a number or a decimal text, at most two decimals, a sign allowed) as fen; undefined when it is not one. */
function amountInFen(value) {
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
    const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text);
    if (!match)
        return undefined;
    const fen = BigInt(match[2]) * 100n + BigInt((match[3] ?? '').padEnd(2, '0') || '0');
    return match[1] === '-' ? -fen : fen;
}
/** Fen as yuan with two decimals. */
function yuan(fen) {
    const sign = fen < 0n ? '-' : '';
    const abs = fen < 0n ? -fen : fen;
    return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
/** The date (YYYY-MM-DD) an event's time begins with. */
function dayOf(value) {
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}
/** Today in China (UTC+8, no daylight saving), as the figures' days are written. */
function chinaDay(now) {
    return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
function plain(value) {
    if (!value)
        return undefined;
    if (value.stringValue !== undefined)
        return value.stringValue;
    if (value.intValue !== undefined)
        return String(value.intValue);
    if (value.doubleValue !== undefined)
        return value.doubleValue;
    if (value.boolValue !== undefined)
        return value.boolValue;
    if (value.kvlistValue)
        return Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, plain(kv.value)]));
    return undefined;
}
/** A field of the event by its declared name, a dotted path into nested objects allowed. */
function field(event, path) {
    if (path in event)
        return event[path];
    let node = event;
    for (const part of path.split('.')) {
        if (node === null || typeof node !== 'object')
            return undefined;
        node = node[part];
    }
    return node;
}
/** Each log record as the application's event: its attributes (the collector's JSON parser puts the line's fields there). */
function eventsOf(body) {
    const found = [];
    for (const resourceLogs of body.resourceLogs ?? []) {
        const resource = Object.fromEntries((resourceLogs.resource?.attributes ?? []).map((kv) => [kv.key, plain(kv.value)]));
        for (const scope of resourceLogs.scopeLogs ?? []) {
            for (const record of scope.logRecords ?? []) {
                const attributes = Object.fromEntries((record.attributes ?? []).map((kv) => [kv.key, plain(kv.value)]));
                const application = attributes[exports.APPLICATION_ATTRIBUTE] ?? resource[exports.APPLICATION_ATTRIBUTE];
                found.push({ application: typeof application === 'string' ? application : undefined, event: attributes });
            }
        }
    }
    return found;
}
/** The counted figures and what was seen twice or refused; `accept` keeps an event once. */
class Figures {
    config;
    totals = new Map();
    seen = new Set();
    rejected = new Map();
    duplicates = new Map();
    constructor(config) {
        this.config = config;
    }
    /** The event as it would be counted, or why it is not. */
    read(application, event) {
        const declared = application === undefined ? undefined : this.config.applications[application];
        if (!declared || application === undefined)
            return { rejected: 'application' };
        const id = field(event, declared.fields.id);
        if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0)
            return { rejected: 'id' };
        const type = field(event, declared.fields.type);
        const typeCode = typeof type === 'string' || typeof type === 'number' ? String(type) : '';
        if (!(typeCode in declared.types))
            return { rejected: 'type' };
        const fen = amountInFen(field(event, declared.fields.amount));
        if (fen === undefined)
            return { rejected: 'amount' };
        const day = dayOf(field(event, declared.fields.time));
        if (!day)
            return { rejected: 'time' };
        const institution = declared.byInstitution ? String(field(event, declared.fields.institution) ?? '') : '';
        return { application, id: String(id), day, type: typeCode, institution, fen: String(fen) };
    }
    /** Whether the event is new (then it is counted); an event already counted is not counted again. */
    accept(event) {
        const key = `${event.application}\t${event.id}`;
        if (this.seen.has(key)) {
            this.duplicates.set(event.application, (this.duplicates.get(event.application) ?? 0) + 1);
            return false;
        }
        this.seen.add(key);
        const group = [event.application, event.day, event.type, event.institution].join('\t');
        const total = this.totals.get(group) ?? { count: 0, fen: 0n };
        this.totals.set(group, { count: total.count + 1, fen: total.fen + BigInt(event.fen) });
        return true;
    }
    reject(application, reason) {
        const key = `${application ?? ''}\t${reason}`;
        this.rejected.set(key, (this.rejected.get(key) ?? 0) + 1);
    }
    /** The figures of a day, sorted. */
    day(day) {
        return [...this.totals.entries()]
            .map(([group, total]) => ({ group: group.split('\t'), total }))
            .filter(({ group }) => group[1] === day)
            .sort((a, b) => (a.group.join('\t') < b.group.join('\t') ? -1 : 1))
            .map(({ group: [application, figureDay, type, institution], total }) => ({
            application,
            day: figureDay,
            businessType: type,
            businessName: this.config.applications[application]?.types[type] ?? type,
            institution,
            count: total.count,
            amount: yuan(total.fen),
        }));
    }
}
exports.Figures = Figures;
/** Prometheus's text format of today's and yesterday's figures and of what was refused. */
function exposition(figures, today, yesterday) {
    const escape = (value) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const labels = (pairs) => `{${Object.entries(pairs).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
    const lines = [
        '# HELP hsa_business_day_events Settlement events of the day, each counted once.',
        '# TYPE hsa_business_day_events gauge',
        '# HELP hsa_business_day_amount_yuan Their amounts summed, in yuan.',
        '# TYPE hsa_business_day_amount_yuan gauge',
    ];
    for (const day of [yesterday, today]) {
        for (const figure of figures.day(day)) {
            const set = labels({ application: figure.application, business_type: figure.businessType, business_name: figure.businessName, institution: figure.institution, day });
            lines.push(`hsa_business_day_events${set} ${figure.count}`, `hsa_business_day_amount_yuan${set} ${figure.amount}`);
        }
    }
    // Today's again without the day: what the big screen shows, one series per figure.
    lines.push('# HELP hsa_business_today_events Settlement events of today (China time), each counted once.', '# TYPE hsa_business_today_events gauge', '# HELP hsa_business_today_amount_yuan Their amounts summed, in yuan.', '# TYPE hsa_business_today_amount_yuan gauge');
    for (const figure of figures.day(today)) {
        const set = labels({ application: figure.application, business_type: figure.businessType, business_name: figure.businessName, institution: figure.institution });
        lines.push(`hsa_business_today_events${set} ${figure.count}`, `hsa_business_today_amount_yuan${set} ${figure.amount}`);
    }
    lines.push('# HELP hsa_business_rejected_total Events not counted, by reason.', '# TYPE hsa_business_rejected_total counter');
    for (const [key, count] of [...figures.rejected.entries()].sort()) {
        const [application, reason] = key.split('\t');
        lines.push(`hsa_business_rejected_total${labels({ application, reason })} ${count}`);
    }
    lines.push('# HELP hsa_business_duplicates_total Events received again and not counted again.', '# TYPE hsa_business_duplicates_total counter');
    for (const [application, count] of [...figures.duplicates.entries()].sort())
        lines.push(`hsa_business_duplicates_total${labels({ application })} ${count}`);
    return `${lines.join('\n')}\n`;
}
/** The day journals: counted events, one JSON line each, flushed before an event is acknowledged. */
class Journal {
    directory;
    constructor(directory) {
        this.directory = directory;
        (0, node_fs_1.mkdirSync)(directory, { recursive: true });
    }
    /** Every event of the days kept, oldest first. */
    readBack(firstDay) {
        return (0, node_fs_1.readdirSync)(this.directory)
            .filter((name) => /^events-\d{4}-\d{2}-\d{2}\.jsonl$/.test(name) && name.slice(7, 17) >= firstDay)
            .sort()
            .flatMap((name) => (0, node_fs_1.readFileSync)((0, node_path_1.join)(this.directory, name), 'utf8')
            .split('\n')
            // A line cut short by a crash was never acknowledged: the collector sends it again.
            .flatMap((line) => {
            try {
                return line ? [JSON.parse(line)] : [];
            }
            catch {
                return [];
            }
        }));
    }
    append(events) {
        const byDay = new Map();
        for (const event of events) {
            const dayEvents = byDay.get(event.day);
            if (dayEvents)
                dayEvents.push(event);
            else
                byDay.set(event.day, [event]);
        }
        for (const [day, dayEvents] of byDay) {
            const file = (0, node_path_1.join)(this.directory, `events-${day}.jsonl`);
            const fd = (0, node_fs_1.openSync)(file, 'a');
            try {
                (0, node_fs_1.appendFileSync)(fd, dayEvents.map((event) => `${JSON.stringify(event)}\n`).join(''));
                (0, node_fs_1.fsyncSync)(fd);
            }
            finally {
                (0, node_fs_1.closeSync)(fd);
            }
        }
    }
}
/** The request's body as text; the collector compresses with gzip by default. */
function readBody(request) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => {
            try {
                const body = Buffer.concat(chunks);
                resolve((request.headers['content-encoding'] === 'gzip' ? (0, node_zlib_1.gunzipSync)(body) : body).toString('utf8'));
            }
            catch (error) {
                reject(error);
            }
        });
        request.on('error', reject);
    });
}
function send(response, status, type, body) {
    response.writeHead(status, { 'content-type': type });
    response.end(body);
}
/** Starts the service; resolves with the port it listens on. */
function serve(config, dataDirectory, port, now = () => new Date()) {
    const figures = new Figures(config);
    const journal = new Journal(dataDirectory);
    const firstDay = chinaDay(new Date(now().getTime() - config.retainDays * 86400_000));
    for (const event of journal.readBack(firstDay))
        figures.accept(event);
    // One batch at a time: a batch is journaled whole before the next is read, so a resend never races it.
    let queue = Promise.resolve();
    const server = (0, node_http_1.createServer)((request, response) => {
        const url = new URL(request.url ?? '/', 'http://figures');
        if (request.method === 'POST' && url.pathname === '/v1/logs') {
            queue = queue.then(async () => {
                try {
                    const body = JSON.parse(await readBody(request));
                    const fresh = [];
                    for (const { application, event } of eventsOf(body)) {
                        const read = figures.read(application, event);
                        if ('rejected' in read)
                            figures.reject(application, read.rejected);
                        else if (figures.accept(read))
                            fresh.push(read);
                    }
                    journal.append(fresh);
                    send(response, 200, 'application/json', '{}');
                }
                catch (error) {
                    // Not acknowledged: the collector keeps the batch and sends it again.
                    send(response, 503, 'text/plain', `not stored: ${error.message}\n`);
                }
            });
            return;
        }
        if (request.method === 'GET' && url.pathname === '/metrics') {
            const today = chinaDay(now());
            send(response, 200, 'text/plain; version=0.0.4', exposition(figures, today, chinaDay(new Date(now().getTime() - 86400_000))));
            return;
        }
        if (request.method === 'GET' && url.pathname === '/api/figures') {
            const day = url.searchParams.get('day') ?? chinaDay(now());
            if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
                return send(response, 400, 'text/plain', 'day: expected YYYY-MM-DD\n');
            const application = url.searchParams.get('application');
            const rows = figures.day(day).filter((figure) => application === null || figure.application === application);
            return send(response, 200, 'application/json', `${JSON.stringify({ day, figures: rows }, null, 2)}\n`);
        }
        if (request.method === 'GET' && url.pathname === '/healthz')
            return send(response, 200, 'text/plain', 'ok\n');
        send(response, 404, 'text/plain', 'not found\n');
    });
    return new Promise((resolve) => {
        server.listen(port, () => {
            const address = server.address();
            resolve({ port: typeof address === 'object' && address ? address.port : port, close: () => new Promise((done) => server.close(() => done())) });
        });
    });
}
if (require.main === module) {
    const [configFile, dataDirectory, port] = process.argv.slice(2);
    if (!configFile || !dataDirectory) {
        process.stderr.write('usage: node figures-server.js <config.json> <data directory> [port]\n');
        process.exit(2);
    }
    if (!(0, node_fs_1.existsSync)(configFile)) {
        process.stderr.write(`${configFile}: no such configuration file\n`);
        process.exit(2);
    }
    const config = JSON.parse((0, node_fs_1.readFileSync)(configFile, 'utf8'));
    void serve(config, dataDirectory, Number(port ?? 4318)).then(({ port: listening }) => process.stdout.write(`figures: listening on ${listening}, journals in ${dataDirectory}\n`));
    for (const signal of ['SIGTERM', 'SIGINT'])
        process.on(signal, () => process.exit(0));
}
