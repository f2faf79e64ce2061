// SQLite as a WASI guest (examples/sqlite/sqlite-query.c) on a hot ~140 MiB database of
// 1.5 M rows with an index: the same queries read through pread (mmap_size 0), through
// wasi-libc's emulated mmap (a copy of the file in guest memory) and through guest
// mappings (sdk/c/mmap_wasi_mman.c), beside native SQLite (better-sqlite3) with mmap, in
// this process. Each guest sample is a new node process; the guest times its own queries.
import * as fs from "node:fs";
import * as path from "node:path";
import { MiB, REPO, interleave, makeHot, median, medianOf, ratio, rng, runGuestProcess } from "../lib/common.mjs";

export const name = "sqlite-140m-guest";
export const title = "SQLite in a C guest on a hot 140 MiB database: a range scan and 300 index lookups";
export const goal = "scan ≤ 1.5× native SQLite with mmap; 300 lookups add ≤ 1/10 of the file to RSS";

const ROWS = 1_500_000;
const MMAP_SIZE = 1 << 30;
// k is a bijection of id onto [0, 1e9) (the multiplier is prime to 1e9): keys are unique,
// and a lookup key is made from a random id.
const key = (id) => Number((BigInt(id) * 2_654_435_761n) % 1_000_000_000n);
// 90 % of the keys: the index picks the rows, the table gives their values (1.35 M rows).
const SCAN = "SELECT count(*), sum(length(v)) FROM t WHERE k BETWEEN 1000000 AND 900000000";
const LOOKUPS = 300;
const SCHEMA = "SELECT count(*) FROM sqlite_schema";

const guests = {
  mapped: path.join(REPO, "build/examples/sqlite/sqlite-query.wasm"),
  emulated: path.join(REPO, "build/examples/sqlite/sqlite-query-emulated.wasm"),
};

async function betterSqlite() {
  if (Number(process.versions.node.split(".")[0]) < 22) {
    throw new Error(`better-sqlite3 (native SQLite) needs Node 22 or later; this is ${process.version}`);
  }
  return (await import("better-sqlite3")).default;
}

/** The database, made once per data folder: t(id, k indexed, v text of 40–110 bytes). */
function database(Database, dir) {
  const file = path.join(dir, `sqlite-${ROWS}.db`);
  if (fs.existsSync(file)) return file;
  const db = new Database(`${file}.part`);
  try {
    db.pragma("journal_mode = OFF");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO t (id, k, v) VALUES (?, ?, ?)");
    const random = rng(7);
    const letters = "abcdefghijklmnopqrstuvwxyz0123456789";
    db.transaction(() => {
      for (let id = 1; id <= ROWS; id++) {
        const length = 40 + Math.floor(random() * 71);
        let v = "";
        for (let i = 0; i < length; i++) v += letters[Math.floor(random() * letters.length)];
        insert.run(id, key(id), v);
      }
    })();
    db.exec("CREATE INDEX t_k ON t (k)");
  } finally {
    db.close();
  }
  fs.renameSync(`${file}.part`, file);
  return file;
}

/** The guest's "time NS" lines, in ms, and its rows (JSON lines). */
function statusKiB(field) {
  const match = fs.readFileSync("/proc/self/status", "latin1").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : NaN;
}

function parseGuest(stdout) {
  const lines = stdout.split("\n").filter(Boolean);
  return {
    ms: lines.filter((line) => line.startsWith("time ")).map((line) => Number(line.slice(5)) / 1e6),
    rows: lines.filter((line) => line.startsWith("[")),
  };
}

export async function run({ reps, dir, log }) {
  for (const wasm of Object.values(guests)) {
    if (!fs.existsSync(wasm)) throw new Error(`${wasm} is missing: run npm run build:native-guests`);
  }
  const Database = await betterSqlite();
  log("making the database (once per data folder)");
  const file = database(Database, dir);
  const size = fs.statSync(file).size;
  makeHot(file);
  const guestFile = `/data/${path.basename(file)}`;
  const random = rng(11);
  const lookupSql = Array.from({ length: LOOKUPS }, () => `SELECT v FROM t WHERE k = ${key(1 + Math.floor(random() * ROWS))};`);
  const lookups = lookupSql.join("\n");

  // The answers every variant must give.
  const native = new Database(file, { readonly: true });
  native.pragma(`mmap_size = ${MMAP_SIZE}`);
  const expected = { scan: JSON.stringify(native.prepare(SCAN).raw(true).get()), lookups: LOOKUPS };
  native.close();

  const samples = {};
  const keep = (name, value) => ((samples[name] ??= []).push(value), value);
  /**
   * One guest process: the schema, then SCAN twice (the second on what the first brought in), the lookups
   * twice (the second with the code compiled and the pages in). Returns the first time.
   */
  const guestRun = (kind, mmapSize, what) => async () => {
    const sql = [SCHEMA, ...(what === "scan" ? [SCAN, SCAN] : [lookups, lookups])];
    const result = await runGuestProcess(guests[kind], ["--time", "--mmap-size", String(mmapSize), guestFile, ...sql], dir);
    const { ms, rows } = parseGuest(result.stdout);
    if (what === "scan" && (rows.length !== 3 || rows.slice(1).some((row) => row !== expected.scan))) {
      throw new Error(`${kind} scan answered ${rows.join(" ")}, native SQLite ${expected.scan}`);
    }
    if (what === "lookups" && rows.length !== 1 + 2 * LOOKUPS) throw new Error(`${kind}: ${rows.length - 1} of ${2 * LOOKUPS} lookups found`);
    const label = `${kind}/${mmapSize ? "mmap" : "pread"}/${what}`;
    keep(`${label} peak RSS − before`, (result.peakRssKiB - result.rssBeforeKiB) / 1024);
    keep(`${label} second`, ms[2]);
    return ms[1];
  };
  /**
   * Native SQLite in this process, a new connection per sample (its mapping made anew),
   * as the guest: the first time, and the second kept. For the lookups, the file pages
   * the mapping added to this process's RSS (RssFile).
   */
  const nativeRun = (what) => () => {
    const rssFileBefore = statusKiB("RssFile");
    const db = new Database(file, { readonly: true });
    try {
      db.pragma(`mmap_size = ${MMAP_SIZE}`);
      db.prepare(SCHEMA).get();
      const run = what === "scan"
        ? (() => { const statement = db.prepare(SCAN).raw(true); return () => statement.get(); })()
        // Each lookup's SQL prepared and run, as the guest does.
        : () => {
          const found = lookupSql.reduce((n, sql) => n + (db.prepare(sql).get() ? 1 : 0), 0);
          if (found !== LOOKUPS) throw new Error(`native: ${found} of ${LOOKUPS} lookups found`);
        };
      const timed = () => {
        const started = process.hrtime.bigint();
        run();
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const first = timed();
      if (what === "lookups") keep("native/lookups RssFile added", (statusKiB("RssFile") - rssFileBefore) / 1024);
      keep(`native/${what} second`, timed());
      return first;
    } finally {
      db.close();
    }
  };

  const variants = [
    { name: "scan: native SQLite, mmap", unit: "ms", higherIsBetter: false, sample: nativeRun("scan") },
    { name: "scan: guest, pread (mmap_size 0)", unit: "ms", higherIsBetter: false, sample: guestRun("mapped", 0, "scan") },
    { name: "scan: guest, wasi-libc emulated mmap", unit: "ms", higherIsBetter: false, sample: guestRun("emulated", MMAP_SIZE, "scan") },
    { name: "scan: guest, guest mappings", unit: "ms", higherIsBetter: false, sample: guestRun("mapped", MMAP_SIZE, "scan") },
    { name: "300 lookups: native SQLite, mmap", unit: "ms", higherIsBetter: false, sample: nativeRun("lookups") },
    { name: "300 lookups: guest, pread", unit: "ms", higherIsBetter: false, sample: guestRun("mapped", 0, "lookups") },
    { name: "300 lookups: guest, emulated mmap", unit: "ms", higherIsBetter: false, sample: guestRun("emulated", MMAP_SIZE, "lookups") },
    { name: "300 lookups: guest, guest mappings", unit: "ms", higherIsBetter: false, sample: guestRun("mapped", MMAP_SIZE, "lookups") },
  ];
  const results = await interleave(reps, variants, { log, warmup: false });
  const extra = (label, unit, key) => results.push({ name: label, unit, higherIsBetter: false, samples: samples[key] });
  extra("second scan in process: native", "ms", "native/scan second");
  extra("second scan in process: guest, emulated mmap (file already copied)", "ms", "emulated/mmap/scan second");
  extra("second scan in process: guest, guest mappings", "ms", "mapped/mmap/scan second");
  extra("same 300 lookups again: native", "ms", "native/lookups second");
  extra("same 300 lookups again: guest, pread", "ms", "mapped/pread/lookups second");
  extra("same 300 lookups again: guest, emulated mmap", "ms", "emulated/mmap/lookups second");
  extra("same 300 lookups again: guest, guest mappings", "ms", "mapped/mmap/lookups second");
  extra("scan, peak RSS − before: pread", "MiB", "mapped/pread/scan peak RSS − before");
  extra("scan, peak RSS − before: emulated mmap", "MiB", "emulated/mmap/scan peak RSS − before");
  extra("scan, peak RSS − before: guest mappings", "MiB", "mapped/mmap/scan peak RSS − before");
  extra("lookups, peak RSS − before: pread", "MiB", "mapped/pread/lookups peak RSS − before");
  extra("lookups, peak RSS − before: emulated mmap", "MiB", "emulated/mmap/lookups peak RSS − before");
  extra("lookups, peak RSS − before: guest mappings", "MiB", "mapped/mmap/lookups peak RSS − before");
  extra("lookups, file pages added to RSS: native SQLite, mmap", "MiB", "native/lookups RssFile added");

  const m = (variant) => medianOf(results, variant);
  const s = (key) => median(samples[key]);
  const fileMiB = size / MiB;
  const scan = m("scan: guest, guest mappings") / m("scan: native SQLite, mmap");
  // What reading through guest mappings adds beyond the same guest reading with pread
  // (the same queries and compiled code; pread's own copies are the pages it read).
  const added = s("mapped/mmap/lookups peak RSS − before") - s("mapped/pread/lookups peak RSS − before");
  const ratios = [
    ratio(scan, "scan time: guest mappings / native with mmap", "≤ 1.5", scan <= 1.5),
    // Bound: the same SQLite code on data already in guest memory against native on a
    // mapping already made: what wasm costs against native code, whatever the I/O.
    ratio(s("emulated/mmap/scan second") / s("native/scan second"),
      "bound: second scan, emulated guest (file in memory) / native", "(info)", undefined),
    ratio(s("mapped/mmap/scan second") / s("native/scan second"), "second scan: guest mappings / native", "(info)", undefined),
    ratio(m("scan: guest, pread (mmap_size 0)") / m("scan: guest, guest mappings"), "scan: pread guest / guest mappings", "(info)", undefined),
    ratio(m("scan: guest, wasi-libc emulated mmap") / m("scan: guest, guest mappings"), "scan: emulated guest / guest mappings", "(info)", undefined),
    ratio(added / fileMiB, `lookups' RSS, guest mappings − pread guest / file (${fileMiB.toFixed(0)} MiB)`, "≤ 0.1", added <= fileMiB / 10),
    // Bound: native SQLite's mapping gains the same file pages (the kernel maps up to 16
    // cached pages around each fault).
    ratio(s("native/lookups RssFile added") / fileMiB, "bound: file pages native SQLite's lookups add / file", "(info)", undefined),
    ratio((s("emulated/mmap/lookups peak RSS − before") - s("mapped/pread/lookups peak RSS − before")) / fileMiB,
      "lookups' RSS, emulated guest − pread guest / file", "(info)", undefined),
    ratio(m("300 lookups: guest, emulated mmap") / m("300 lookups: guest, guest mappings"), "first lookups: emulated guest / guest mappings", "(info)", undefined),
    ratio(s("mapped/mmap/lookups second") / s("native/lookups second"), "same lookups again: guest mappings / native", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `Database ${(size / MiB).toFixed(1)} MiB, ${ROWS} rows, index on k, hot in the page cache. The scan: ${SCAN} (1.35 M rows through the index). Guest times are the guest's own clock around each SQL argument, in a new process after the schema was read (mapping, copying or reading of the rows included; the lookups' first run also compiles their code); native is a new better-sqlite3 connection in this process. "again": the same SQL a second time in that process. RSS: VmHWM − VmRSS before the guest started, of the guest's process; native: the RssFile its mapping added.`,
  };
}
