// How a failure on the host becomes the guest core's failure id (errno.ts chooses the
// errno), and the wrapper that keeps every host operation from throwing into the guest.
import { getSystemErrorName } from "node:util";
import { MAP_COUNT_EXCEEDED, TRUNCATED } from "../mapping.js";
import { coreConstant, type GuestCore } from "./guest-core.js";

export class FailureIds {
  readonly #core: GuestCore;
  readonly #ids = new Map<number, number>();

  /** `core` may still be empty: it is read on the first failure, after instantiation. */
  constructor(core: GuestCore) {
    this.#core = core;
  }

  /** The core's id for a failure of Mapping: TRUNCATED, MAP_COUNT_EXCEEDED, or an OS error found by its errno name. */
  of(status: number): number {
    let id = this.#ids.get(status);
    if (id === undefined) {
      const name = status === TRUNCATED ? "TRUNCATED" : status === MAP_COUNT_EXCEEDED ? "MAP_COUNT" : getSystemErrorName(status);
      const global = this.#core[`FAIL_${name}`] ?? this.#core.FAIL_OTHER;
      id = (global as WebAssembly.Global).value as number;
      this.#ids.set(status, id);
    }
    return id;
  }

  /** The id of a refusal the host names itself (FAIL_OUTSIDE_GRANT, …). */
  named(name: string): number {
    return coreConstant(this.#core, name);
  }

  /** The id of an exception: an fs error by its errno, anything else FAIL_OTHER. */
  ofThrown(error: unknown): number {
    const errno = (error as NodeJS.ErrnoException).errno;
    return typeof errno === "number" ? this.of(errno) : this.named("FAIL_OTHER");
  }
}

type Operation = (...args: number[]) => number;

/**
 * `run`, returning the failure id of whatever it throws: a host import must never throw
 * into the guest, where an exception would be a trap. The wrapper takes exactly as many
 * parameters as `run`: V8 calls an import whose arity matches its WebAssembly type
 * through a faster entry (12 ns of a 99 ns guest read).
 */
export function guarded(failures: FailureIds, run: Operation): Operation {
  const fail = (error: unknown) => failures.ofThrown(error);
  switch (run.length) {
    case 1: return (a) => { try { return run(a); } catch (error) { return fail(error); } };
    case 2: return (a, b) => { try { return run(a, b); } catch (error) { return fail(error); } };
    case 3: return (a, b, c) => { try { return run(a, b, c); } catch (error) { return fail(error); } };
    case 4: return (a, b, c, d) => { try { return run(a, b, c, d); } catch (error) { return fail(error); } };
    default: return (...args) => { try { return run(...args); } catch (error) { return fail(error); } };
  }
}
