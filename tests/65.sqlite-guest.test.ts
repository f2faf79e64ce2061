// SQLite as a WASI guest (examples/sqlite/sqlite-query.c): the same answers as native
// SQLite (better-sqlite3) through guest mappings, through pread and through wasi-libc's
// emulated mmap; the database file's pages really in the guest's process with mmap on;
// and a guest that keeps querying sees what a native writer changed meanwhile.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describeOnLinux, missingPrerequisite, runGuestCapturing, smapsOf, tempDir } from "./helpers.js";

type BetterSqlite = typeof import("better-sqlite3");
type Value = number | string | null | { blob: string };

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "build", "lib", "cli", "main.js");
const guests = {
  mapped: path.join(root, "build", "examples", "sqlite", "sqlite-query.wasm"),
  emulated: path.join(root, "build", "examples", "sqlite", "sqlite-query-emulated.wasm"),
};
const MMAP_SIZE = 256 * 1024 * 1024;

/**
 * better-sqlite3, once the guests are built and this Node can run it (its 13.x addon
 * crashes Node 20), or a skip that says what is missing (a failure under CI).
 */
async function prerequisites(context: Mocha.Context): Promise<BetterSqlite> {
  for (const wasm of Object.values(guests)) {
    if (!fs.existsSync(wasm)) {
      missingPrerequisite(context, `${wasm} was not built: run npm run build:native-guests (clang with wasi-libc, and npm ci for SQLite's source)`);
    }
  }
  if (Number(process.versions.node.split(".")[0]) < 22) {
    missingPrerequisite(context, `better-sqlite3, the native reference, needs Node 22 or later (this is ${process.version})`);
  }
  return (await import("better-sqlite3")).default;
}

/** Rows as the guest prints them: numbers, strings, null, and blobs as {blob: hex}. */
function asGuestPrints(rows: unknown[][]): Value[][] {
  return rows.map((row) => row.map((value) => {
    if (Buffer.isBuffer(value)) return { blob: value.toString("hex") };
    assert.ok(value === null || typeof value === "number" || typeof value === "string", `unexpected value ${String(value)}`);
    return value;
  }));
}

/** The guest's output: one group of rows per SQL, each group ended by an empty line. */
function parseGroups(output: string): Value[][][] {
  const groups: Value[][][] = [];
  let rows: Value[][] = [];
  for (const line of output.split("\n").slice(0, -1)) {
    if (line === "") {
      groups.push(rows);
      rows = [];
    } else {
      rows.push(JSON.parse(line) as Value[]);
    }
  }
  return groups;
}

const WORDS = ["alpha", "beta", "gamma", "élan", "naïve", "quote\"d", "back\\slash", "line\nbreak", "tab\there", "日本"];

/** A database of a few MiB: a table with an index, text, reals, blobs and NULLs. */
function makeDatabase(Database: BetterSqlite, file: string, rows: number, first = 1): void {
  const db = new Database(file);
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL,
      name TEXT NOT NULL, score REAL, payload BLOB, note TEXT);
      CREATE INDEX IF NOT EXISTS items_k ON items (k);`);
    const insert = db.prepare("INSERT INTO items (id, k, name, score, payload, note) VALUES (?, ?, ?, ?, ?, ?)");
    db.transaction(() => {
      for (let id = first; id < first + rows; id++) {
        const k = (id * 2_654_435_761) % 1_000_003;
        insert.run(id, k, `${WORDS[id % WORDS.length]} ${id}`, (k - 500_000) / 7.3,
          randomBytes(40 + (id % 90)), id % 3 === 0 ? null : `note ${k}`);
      }
    })();
  } finally {
    db.close();
  }
}

const QUERIES = [
  "PRAGMA integrity_check",
  "SELECT count(*), sum(k), total(score), sum(length(payload)), count(note) FROM items",
  "SELECT id, k, name, score, payload, note FROM items WHERE k BETWEEN 100000 AND 103000 ORDER BY k, id",
  "SELECT substr(name, 1, 3) AS p, count(*), min(id), max(score), sum(length(payload)) FROM items GROUP BY p ORDER BY p",
  "SELECT * FROM items WHERE id IN (1, 777, 20000, 39999) ORDER BY id",
  "SELECT k, name FROM items WHERE name LIKE 'na%' ORDER BY k DESC LIMIT 7",
  "SELECT NULL, 1.5e300, -0.25, x'00ff10', 'tab\there', 42",
];

describe("SQLite as a WASI guest", function () {
  this.timeout(180_000);
  let Database: BetterSqlite;
  let temp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let dbFile: string;

  before(async function () {
    Database = await prerequisites(this);
    temp = tempDir("sqlite");
    dataDir = temp.file("data");
    fs.mkdirSync(dataDir);
    dbFile = path.join(dataDir, "items.db");
    makeDatabase(Database, dbFile, 40_000);
  });
  after(() => temp?.remove());

  function native(file: string, sql: string): Value[][] {
    const db = new Database(file, { readonly: true });
    try {
      const statement = db.prepare(sql);
      return asGuestPrints(statement.reader ? statement.raw(true).all() as unknown[][] : []);
    } finally {
      db.close();
    }
  }

  /** Runs the guest under runGuest() in this process: its output groups, stderr and exit code. */
  async function inProcess(wasm: string, args: string[]): Promise<{ groups: Value[][][]; stderr: string; exitCode: number }> {
    const { exitCode, stdout, stderr } = await runGuestCapturing(wasm, { args, grants: [{ guest: "/data", host: dataDir, access: "ro" }] });
    return { groups: parseGroups(stdout), stderr, exitCode };
  }

  it("the database is several MiB, with an index the range query uses", () => {
    assert.ok(fs.statSync(dbFile).size > 4 * 1024 * 1024, `${fs.statSync(dbFile).size} bytes`);
    const plan = native(dbFile, `EXPLAIN QUERY PLAN ${QUERIES[2]}`).map((row) => String(row[3])).join("\n");
    assert.match(plan, /USING INDEX items_k/);
  });

  const variants = [
    { name: "guest mappings (sdk/c/mmap_wasi_mman.c), mmap on", guest: "mapped", mmapSize: MMAP_SIZE },
    { name: "guest mappings build, mmap_size 0 (pread)", guest: "mapped", mmapSize: 0 },
    { name: "wasi-libc's emulated mmap, mmap on", guest: "emulated", mmapSize: MMAP_SIZE },
  ] as const;
  for (const variant of variants) {
    it(`answers as native SQLite does: ${variant.name}`, async () => {
      const { groups, stderr, exitCode } = await inProcess(guests[variant.guest],
        ["--mmap-size", String(variant.mmapSize), "/data/items.db", "PRAGMA mmap_size", ...QUERIES]);
      assert.equal(stderr, "");
      assert.equal(exitCode, 0);
      assert.deepEqual(groups[0], [[variant.mmapSize]], "PRAGMA mmap_size as the guest's connection reports it");
      assert.equal(groups.length, QUERIES.length + 1);
      QUERIES.forEach((sql, i) => assert.deepEqual(groups[i + 1], native(dbFile, sql), sql));
      assert.equal(groups[2]![0]![0], 40_000);
      assert.ok(groups[3]!.length > 50, "the range query returns rows");
    });
  }

  it("an error in the SQL is reported on stderr with exit code 1", async () => {
    const { groups, stderr, exitCode } = await inProcess(guests.mapped, ["/data/items.db", "SELECT count(*) FROM items", "SELECT nope FROM items"]);
    assert.equal(stderr, "error: no such column: nope\n");
    assert.equal(exitCode, 1);
    assert.deepEqual(groups, [[[40_000]]]);
  });

  describeOnLinux("the file's pages in the guest", "/proc/PID/smaps", () => {
    /** The guest under `mmap-wasi run` in a child process, queried line by line on stdin. */
    class LiveGuest {
      readonly child: ChildProcessWithoutNullStreams;
      private output = "";
      private stderr = "";
      private waiting?: () => void;

      constructor(wasm: string, mmapSize: number, db: string) {
        this.child = spawn(process.execPath, [cli, "run", "--dir", `${dataDir}::/data`, wasm, "--",
          "--mmap-size", String(mmapSize), `/data/${path.basename(db)}`]);
        this.child.stdout.setEncoding("utf8").on("data", (data: string) => {
          this.output += data;
          this.waiting?.();
        });
        this.child.stderr.setEncoding("utf8").on("data", (data: string) => (this.stderr += data));
        this.child.on("exit", () => this.waiting?.());
      }

      /** Sends one line of SQL and resolves with its rows once the guest printed them all. */
      async query(sql: string): Promise<Value[][]> {
        this.child.stdin.write(`${sql}\n`);
        for (;;) {
          const lines = this.output.split("\n");
          const end = lines.slice(0, -1).indexOf(""); // among complete lines
          if (end >= 0) {
            this.output = lines.slice(end + 1).join("\n");
            return lines.slice(0, end).map((line) => JSON.parse(line) as Value[]);
          }
          if (this.child.exitCode !== null) throw new Error(`the guest exited ${this.child.exitCode}: ${this.stderr}`);
          await new Promise<void>((resolve) => (this.waiting = resolve));
        }
      }

      /** Ends standard input; resolves with the exit code and what went to stderr. */
      async close(): Promise<{ code: number | null; stderr: string }> {
        this.child.stdin.end();
        if (this.child.exitCode === null) await new Promise((resolve) => this.child.once("exit", resolve));
        return { code: this.child.exitCode, stderr: this.stderr };
      }
    }

    const SCAN = "SELECT count(*), sum(length(payload)) FROM items";

    it("with mmap on, the guest's process maps the database file and its pages are resident there", async () => {
      const guest = new LiveGuest(guests.mapped, MMAP_SIZE, dbFile);
      try {
        assert.deepEqual(await guest.query(SCAN), native(dbFile, SCAN));
        const size = fs.statSync(dbFile).size;
        const entries = smapsOf(dbFile, guest.child.pid!);
        assert.equal(entries.length >= 1, true, "a mapping of the database file in the guest's process");
        const mappedKiB = entries.reduce((sum, entry) => sum + entry.fields.Size!, 0);
        const residentKiB = entries.reduce((sum, entry) => sum + entry.fields.Rss!, 0);
        assert.ok(mappedKiB * 1024 >= size, `mapped ${mappedKiB} KiB of a ${size}-byte file`);
        // The scan read every page of the table through the mapping.
        assert.ok(residentKiB * 1024 >= size / 2, `resident ${residentKiB} KiB of a ${size}-byte file`);
      } finally {
        assert.deepEqual(await guest.close(), { code: 0, stderr: "" });
      }
    });

    for (const [name, wasm, mmapSize] of [["mmap_size 0", guests.mapped, 0], ["wasi-libc's emulated mmap", guests.emulated, MMAP_SIZE]] as const) {
      it(`with ${name}, the file is read into the guest's memory instead: no mapping of it`, async () => {
        const guest = new LiveGuest(wasm, mmapSize, dbFile);
        try {
          assert.deepEqual(await guest.query(SCAN), native(dbFile, SCAN));
          assert.deepEqual(smapsOf(dbFile, guest.child.pid!), []);
        } finally {
          assert.deepEqual(await guest.close(), { code: 0, stderr: "" });
        }
      });
    }

    it("a guest that keeps the database open sees what a native writer changed and added", async () => {
      const live = path.join(dataDir, "live.db");
      makeDatabase(Database, live, 20_000);
      const guest = new LiveGuest(guests.mapped, MMAP_SIZE, live);
      const CHECK = "SELECT count(*), sum(k), (SELECT name FROM items WHERE id = 5), max(id) FROM items";
      try {
        const before = await guest.query(CHECK);
        assert.deepEqual(before, native(live, CHECK));
        const sizeBefore = fs.statSync(live).size;

        const writer = new Database(live);
        try {
          writer.prepare("UPDATE items SET name = ? WHERE id = 5").run("changed by the writer");
        } finally {
          writer.close();
        }
        makeDatabase(Database, live, 20_000, 20_001);
        assert.ok(fs.statSync(live).size > sizeBefore * 1.5, "the writer grew the file");

        const after = await guest.query(CHECK);
        assert.deepEqual(after, native(live, CHECK));
        assert.deepEqual(after[0]!.slice(0, 1).concat(after[0]!.slice(2)), [40_000, "changed by the writer", 40_000]);
        // SQLite mapped the file again at its new size, and released the old mapping (it
        // unmaps that in two parts).
        const mappedKiB = smapsOf(live, guest.child.pid!).reduce((sum, entry) => sum + entry.fields.Size!, 0);
        const size = fs.statSync(live).size;
        assert.ok(mappedKiB * 1024 >= size, `mapped ${mappedKiB} KiB of ${size} bytes`);
        assert.ok(mappedKiB * 1024 <= Math.ceil(size / 4096) * 4096, `mapped ${mappedKiB} KiB, more than the ${size} bytes of the file`);
      } finally {
        assert.deepEqual(await guest.close(), { code: 0, stderr: "" });
      }
    });
  });
});
