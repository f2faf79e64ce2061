// The sandbox: a guest opens only regular files beneath its grants, whatever links,
// swapped folders, hard links, special files or stale handles it tries, by either way of
// opening (openat2 or the walk by hand); the addon's openBeneath never walks out of its
// folder; and special files opened from Node neither block nor spin.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { getSystemErrorName } from "node:util";
import { MemoryMappedFile } from "../build/lib/index.js";
import { native } from "../build/lib/native.js";
import { describeOnLinux, expectCode, missingPrerequisite, openingWay, openWays, suiteTempDir, tempDir } from "./helpers.js";
import { E, startProbe } from "./probe.js";

/** Kills a helper process and waits until it is gone, so it touches no file afterwards. */
async function stopped(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describeOnLinux("sandbox: a guest never reaches a file outside its grants", "/proc/self/fd, mkfifo and /sys", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("sandbox");

  let data: string;
  let outside: string;
  beforeEach(() => {
    data = temp.file("data");
    outside = temp.file("outside");
    fs.mkdirSync(data);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(data, "real.txt"), "real");
    fs.writeFileSync(path.join(outside, "secret"), "secret");
  });

  /**
   * Runs `flipper` (a Node script) in another process while `race` runs, then stops it.
   * The race starts once the flipper says it is flipping: a slow start (under a
   * sanitizer, say) must not leave the race to run alone.
   */
  async function whileFlipping<T>(flipper: string, race: () => T): Promise<T> {
    const child = spawn(process.execPath, ["-e", `process.stdout.write("flipping\\n"); ${flipper}`], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise((resolve, reject) => {
        child.stdout!.once("data", resolve);
        child.once("exit", (code) => reject(new Error(`the flipper exited (${code}) before flipping`)));
      });
      return race();
    } finally {
      await stopped(child);
    }
  }

  /** A script that swaps `folder` for a link to `target` and back, over and over. */
  const folderFlipper = (folder: string, target: string) => `
    const fs = require("node:fs");
    const folder = ${JSON.stringify(folder)};
    for (;;) {
      try {
        fs.symlinkSync(${JSON.stringify(target)}, folder + ".link");
        fs.renameSync(folder, folder + ".real");
        fs.renameSync(folder + ".link", folder);
        fs.renameSync(folder, folder + ".link");
        fs.renameSync(folder + ".real", folder);
        fs.unlinkSync(folder + ".link");
      } catch {}
    }`;

  /** A guest granted `data` opens `guestPath` `times` times: how often it read which first 4 bytes, or got which errno. */
  /**
   * Races in rounds until `met` holds of the outcomes so far, at most ten rounds: on a
   * loaded machine the flipper may get too little time to be met within one.
   */
  function raceUntil<K>(round: () => Map<K, number>, met: (outcomes: Map<K, number>) => boolean): Map<K, number> {
    const outcomes = new Map<K, number>();
    for (let tries = 0; tries < 10 && (tries === 0 || !met(outcomes)); tries++) {
      for (const [outcome, count] of round()) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + count);
    }
    return outcomes;
  }

  function openOutcomes(guestPath: string, times: number): Map<string, number> {
    const guest = startProbe({ grants: [{ guest: "/data", host: data }] });
    const outcomes = new Map<string, number>();
    try {
      for (let i = 0; i < times; i++) {
        const [errno, handle] = guest.open(guestPath, 0);
        let outcome = `errno ${errno}`;
        if (errno === E.success) {
          outcome = guest.readText(handle, 0n, 4)[1];
          guest.g.close(handle);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    } finally {
      guest.mmap.close();
    }
    return outcomes;
  }

  for (const { way, byHand } of openWays) {
    it(`a symbolic link swapped between check and open never yields the outside file; ${way}`, () => openingWay(byHand, async () => {
      fs.symlinkSync("real.txt", path.join(data, "swap"));
      const flipper = `
        const fs = require("node:fs");
        const link = ${JSON.stringify(path.join(data, "swap"))};
        const targets = ["real.txt", ${JSON.stringify(path.join(outside, "secret"))}];
        for (let i = 0; ; i++) {
          try { fs.symlinkSync(targets[i % 2], link + ".new"); fs.renameSync(link + ".new", link); } catch {}
        }`;
      const outcomes = await whileFlipping(flipper, () => raceUntil(() => openOutcomes("/data/swap", 3000),
        (seen) => (seen.get("real") ?? 0) > 0 && (seen.get(`errno ${E.notcapable}`) ?? 0) > 0));
      assert.ok(!outcomes.has("secr"), `the outside file was mapped: ${JSON.stringify([...outcomes])}`);
      assert.ok((outcomes.get("real") ?? 0) > 0, JSON.stringify([...outcomes]));
      assert.ok((outcomes.get(`errno ${E.notcapable}`) ?? 0) > 0, `no open met the link to outside: ${JSON.stringify([...outcomes])}`);
    }));

    it(`a folder on the path swapped for a link between check and open never yields the outside file; ${way}`, () => openingWay(byHand, async () => {
      fs.mkdirSync(path.join(data, "folder"));
      fs.writeFileSync(path.join(data, "folder", "file"), "real");
      fs.mkdirSync(path.join(outside, "folder"));
      fs.writeFileSync(path.join(outside, "folder", "file"), "secret");
      const flipper = folderFlipper(path.join(data, "folder"), path.join(outside, "folder"));
      const outcomes = await whileFlipping(flipper, () => raceUntil(() => openOutcomes("/data/folder/file", 3000),
        (seen) => (seen.get("real") ?? 0) > 0 && (seen.get(`errno ${E.notcapable}`) ?? 0) + (seen.get(`errno ${E.noent}`) ?? 0) > 0));
      assert.ok(!outcomes.has("secr"), `the outside file was mapped: ${JSON.stringify([...outcomes])}`);
      assert.ok((outcomes.get("real") ?? 0) > 0, JSON.stringify([...outcomes]));
      assert.ok((outcomes.get(`errno ${E.notcapable}`) ?? 0) + (outcomes.get(`errno ${E.noent}`) ?? 0) > 0,
        `no open met a swapped folder: ${JSON.stringify([...outcomes])}`);
    }));

    it(`a folder swapped for a link between check and create never gets a file outside the grant; ${way}`, () => openingWay(byHand, async () => {
      const folder = path.join(data, "folder");
      fs.mkdirSync(folder);
      let created = 0;
      const outcomes = await whileFlipping(folderFlipper(folder, outside), () => raceUntil(() => {
        const counts = new Map<number, number>();
        const guest = startProbe({ grants: [{ guest: "/data", host: data, access: "rw" }] });
        try {
          // A race: each run has a chance to hit the window, and 5,000 tries hit it on
          // this machine when the check was only made by path.
          for (let i = 0; i < 5000; i++, created++) {
            const [errno, handle] = guest.create(`/data/folder/f${created}`, 16n);
            if (errno === E.success) guest.g.close(handle);
            counts.set(errno, (counts.get(errno) ?? 0) + 1);
          }
        } finally {
          guest.mmap.close();
        }
        return counts;
      }, (seen) => (seen.get(E.success) ?? 0) > 0 && (seen.get(E.notcapable) ?? 0) + (seen.get(E.noent) ?? 0) > 0));
      const seen = JSON.stringify([...outcomes]);
      assert.deepEqual(fs.readdirSync(outside).filter((name) => name !== "secret"), [], `files created outside the grant; outcomes ${seen}`);
      assert.ok((outcomes.get(E.success) ?? 0) > 0, `no create succeeded: ${seen}`);
      assert.ok((outcomes.get(E.notcapable) ?? 0) + (outcomes.get(E.noent) ?? 0) > 0, `no create met a swapped folder: ${seen}`);
    }));
  }

  it("device files, /proc and /sys files, FIFOs (without blocking) and sockets are refused", async () => {
    spawnSync("mkfifo", [path.join(data, "fifo")]);
    const server = net.createServer().listen(path.join(data, "socket"));
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const guest = startProbe({
        grants: [
          { guest: "/data", host: data, access: "rw" }, { guest: "/dev", host: "/dev" },
          { guest: "/proc", host: "/proc/self" }, { guest: "/sys", host: "/sys/kernel/mm/transparent_hugepage" },
        ],
      });
      const started = performance.now();
      assert.equal(guest.open("/data/fifo", 0)[0], E.inval);
      assert.equal(guest.open("/data/fifo", 1)[0], E.inval);
      assert.ok(performance.now() - started < 2000, "opening a FIFO must not block");
      assert.equal(guest.open("/data/socket", 0)[0], E.inval, "a socket is not a file");
      assert.equal(guest.open("/dev/zero", 0)[0], E.inval);
      assert.equal(guest.open("/dev/null", 2)[0], E.inval);
      assert.equal(guest.open("/proc/status", 0)[0], E.inval);
      assert.equal(guest.open("/proc/maps", 0)[0], E.inval);
      assert.equal(guest.open("/sys/enabled", 0)[0], E.inval);
      guest.mmap.close();
    } finally {
      server.close();
    }
  });

  it("very long paths and names get an errno", () => {
    const guest = startProbe({ grants: [{ guest: "/data", host: data }] });
    assert.equal(guest.open(`/data/${"a/".repeat(3000)}x`, 0)[0], E.inval, "longer than 4096 bytes");
    assert.equal(guest.open(`/data/${"n".repeat(300)}`, 0)[0], E.inval, "a name longer than 255 bytes");
    assert.equal(guest.open(`/data/${"../".repeat(1000)}data/real.txt`, 0)[0], E.success);
    guest.mmap.close();
  });

  it("a guest path that fits, beneath a grant whose folder makes the host path too long, gets an errno and makes no file", () => {
    // The grant's folder alone takes most of the 4096 bytes a host path may have.
    const deep = path.join(data, ...new Array(16).fill("d".repeat(240)));
    fs.mkdirSync(deep, { recursive: true });
    const name = "n".repeat(250);
    assert.ok(Buffer.byteLength(deep) + 1 + name.length >= 4096, "the host path must be too long");
    const guest = startProbe({ grants: [{ guest: "/deep", host: deep, access: "rw" }] });
    const [errno] = guest.create(`/deep/${name}`, 1n);
    assert.equal(errno, E.inval);
    assert.equal(errno, guest.open(`/deep/${name}`, 0)[0], "open and create say the same");
    assert.deepEqual(fs.readdirSync(deep), [], "no file was made");
    guest.mmap.close();
  });

  it("hard links are refused: another name of the file may lie outside the grant", () => {
    fs.linkSync(path.join(outside, "secret"), path.join(data, "hard"));
    const guest = startProbe({ grants: [{ guest: "/data", host: data, access: "rw" }] });
    assert.equal(guest.open("/data/hard", 0)[0], E.notcapable);
    assert.equal(guest.open("/data/hard", 1)[0], E.notcapable);
    assert.equal(guest.create("/data/hard", 0n)[0], E.notcapable);
    assert.equal(fs.readFileSync(path.join(outside, "secret"), "utf8"), "secret", "create must not truncate it");
    guest.mmap.close();
  });

  it("a closed guest handle stays badf while its slot is reused thousands of times", () => {
    const dir = temp.file("reuse");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "f"), "data");
    const guest = startProbe({ grants: [{ guest: "/d", host: dir }] });
    const seen = new Set<number>();
    const [, first] = guest.open("/d/f", 0);
    guest.g.close(first);
    seen.add(first);
    for (let i = 0; i < 20_000; i++) {
      const [errno, handle] = guest.open("/d/f", 0);
      assert.equal(errno, E.success);
      assert.ok(!seen.has(handle), `handle ${handle} came back after ${i} opens`);
      seen.add(handle);
      guest.g.close(handle);
    }
    assert.equal(guest.readText(first, 0n, 1)[0], E.badf);
    guest.mmap.close();
  });
});

describeOnLinux("special files opened from Node: a FIFO or a dangling link neither blocks nor spins", "mkfifo", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("special");

  it("openOrCreate on a dangling symbolic link fails with ENOENT instead of spinning", () => {
    const link = temp.file("dangling");
    fs.symlinkSync(temp.file("nowhere/x"), link);
    expectCode(() => MemoryMappedFile.openOrCreate(link, 4096), "ENOENT");
  });

  it("opening a FIFO from Node neither blocks nor maps: ENODEV", () => {
    const fifo = temp.file("fifo");
    spawnSync("mkfifo", [fifo]);
    const started = performance.now();
    expectCode(() => MemoryMappedFile.openRo(fifo), "ENODEV");
    expectCode(() => MemoryMappedFile.openRw(fifo), "ENODEV");
    assert.ok(performance.now() - started < 2000);
  });
});

describeOnLinux("sandbox: openBeneath keeps every walk inside its folder (openat2 RESOLVE_BENEATH)", "openat2 (Linux 5.6)", () => {
  let temp: ReturnType<typeof tempDir>;
  let base: string;
  const opened: number[] = [];
  const openIn = (folder: string, relative: string, flags = fs.constants.O_RDONLY) => {
    const status = native.openBeneath(folder, relative, flags);
    if (status >= 0) opened.push(status);
    return status;
  };
  const open = (relative: string, flags = fs.constants.O_RDONLY) => openIn(base, relative, flags);
  const outcome = (status: number) => (status < 0 ? getSystemErrorName(status) : "fd");
  beforeEach(function () {
    temp = tempDir("beneath");
    base = path.join(fs.realpathSync(temp.dir), "base"); // as a grant's folder is: no link on its path
    fs.mkdirSync(path.join(base, "sub"), { recursive: true });
    fs.writeFileSync(path.join(base, "sub", "in.txt"), "inside");
    fs.writeFileSync(temp.file("secret"), "secret");
    fs.symlinkSync("sub/in.txt", path.join(base, "relative-in"));
    fs.symlinkSync("../secret", path.join(base, "relative-out"));
    fs.symlinkSync(temp.file("secret"), path.join(base, "absolute-out"));
    fs.symlinkSync(path.join(base, "sub", "in.txt"), path.join(base, "absolute-in"));
    const probe = outcome(open("sub/in.txt"));
    if (probe === "ENOSYS" || probe === "EPERM") missingPrerequisite(this, `openat2 is not available here (${probe})`);
  });
  afterEach(() => {
    for (const fd of opened.splice(0)) fs.closeSync(fd);
    temp.remove();
  });

  it("opens what lies inside, through relative links too, and the descriptor is that file", () => {
    for (const relative of ["sub/in.txt", "relative-in", "sub/../sub/in.txt"]) {
      const fd = open(relative);
      assert.equal(outcome(fd), "fd", relative);
      assert.equal(fs.readFileSync(fd, "utf8"), "inside", relative);
    }
  });

  it("refuses every way out with EXDEV, also absolute links that point back inside (the caller walks those itself)", () => {
    for (const relative of ["../secret", "sub/../../secret", "relative-out", "absolute-out", "absolute-in", "/etc/hostname"]) {
      assert.equal(outcome(open(relative)), "EXDEV", relative);
    }
  });

  it("never follows /proc's links to open files (RESOLVE_NO_MAGICLINKS: ELOOP)", () => {
    const fd = fs.openSync(temp.file("secret"), "r");
    try {
      assert.equal(outcome(openIn(`/proc/${process.pid}`, `fd/${fd}`)), "ELOOP");
    } finally {
      fs.closeSync(fd);
    }
  });

  it("never walks from a folder whose own path now leads through a link (it was swapped): EXDEV", () => {
    fs.renameSync(base, temp.file("moved"));
    fs.mkdirSync(temp.file("other"));
    fs.writeFileSync(temp.file("other/in.txt"), "other");
    fs.symlinkSync(temp.file("other"), base);
    assert.equal(outcome(open("in.txt")), "EXDEV", "a link in the folder's place");
    const linkedParent = temp.file("linked");
    fs.symlinkSync(temp.dir, linkedParent);
    assert.equal(outcome(openIn(path.join(linkedParent, "moved"), "sub/in.txt")), "EXDEV", "a link further up");
    fs.unlinkSync(base);
    fs.renameSync(temp.file("other"), base);
    const fd = open("in.txt");
    assert.equal(outcome(fd), "fd", "another folder at the path (no link) is the path's folder");
    assert.equal(fs.readFileSync(fd, "utf8"), "other");
  });

  it("creates inside, never through a link in the last place, and never outside", () => {
    const create = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
    assert.equal(outcome(open("sub/new.bin", create)), "fd");
    assert.equal(fs.existsSync(path.join(base, "sub", "new.bin")), true);
    assert.equal(outcome(open("relative-in", create)), "ELOOP", "a link in the last place");
    assert.equal(outcome(open("../made-outside", create)), "EXDEV");
    assert.equal(outcome(open("missing/x", create)), "ENOENT");
    assert.deepEqual(fs.readdirSync(temp.dir).sort(), ["base", "secret"], "nothing was made outside");
  });
});