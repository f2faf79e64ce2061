// The folders a guest may map files from: checked and resolved on the host, and their
// guest path prefixes registered in the guest core, which matches guest paths to them.
import * as fs from "node:fs";
import { MmapError, fromFsError } from "../errors.js";
import { coreConstant, type GuestCore } from "./guest-core.js";

export interface MmapGrant {
  /** Absolute path prefix the guest uses, e.g. "/data". */
  guest: string;
  /** Host directory the prefix stands for. */
  host: string;
  /** "ro" (default): open ro or cow. "rw": also open rw and create. */
  access?: "ro" | "rw";
}

/** A grant whose host folder exists, by its real path (no links). */
export interface ResolvedGrant {
  realHost: string;
  access: "ro" | "rw";
}

const MAX_GRANTS = 64; // the guest core's table holds this many
const MAX_PREFIX = 4096; // the core's staging buffer

/** The grants' host folders, resolved; throws MmapError for a grant that cannot be one. */
export function resolveGrants(grants: readonly MmapGrant[]): ResolvedGrant[] {
  if (grants.length > MAX_GRANTS) {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `at most ${MAX_GRANTS} grants, got ${grants.length}`);
  }
  return grants.map(resolveGrant);
}

function resolveGrant(grant: MmapGrant): ResolvedGrant {
  const access = grant.access ?? "ro";
  if (access !== "ro" && access !== "rw") {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant access must be "ro" or "rw", got ${String(access)}`);
  }
  try {
    const realHost = fs.realpathSync.native(grant.host);
    if (!fs.statSync(realHost).isDirectory()) {
      throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant host path is not a directory: ${grant.host}`);
    }
    return { realHost, access };
  } catch (error) {
    throw fromFsError(error, grant.host);
  }
}

/**
 * Registers each grant's guest prefix with the core, in order (the core refers to a grant
 * by its index), through the core's staging buffer at `staging`.
 */
export function addGrants(core: GuestCore, staging: number, grants: readonly MmapGrant[], resolved: readonly ResolvedGrant[]): void {
  for (const [index, grant] of grants.entries()) {
    const prefix = Buffer.from(String(grant.guest), "utf8");
    new Uint8Array(core.memory.buffer).set(prefix.subarray(0, MAX_PREFIX), staging);
    const access = resolved[index]!.access === "rw" ? coreConstant(core, "GRANT_RW") : coreConstant(core, "GRANT_RO");
    if (prefix.length > MAX_PREFIX || core.add_grant(prefix.length, access) < 0) {
      throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant guest path must be an absolute path: ${String(grant.guest)}`);
    }
  }
}
