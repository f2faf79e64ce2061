// Advice values and what each platform does with them. Every table is here, so every
// platform's behaviour can be tested on any machine.

import { DISCARDS_PRIVATE_WRITES, INVALID_ARGUMENT } from "./status";
import { MODE_COW } from "./modes";
import { prefetchChunk } from "./range";

// Portable advice, numbered as WASI `fd_advise` numbers it (and so the guest ABI).
export const ADVICE_NORMAL: i32 = 0;
export const ADVICE_SEQUENTIAL: i32 = 1;
export const ADVICE_RANDOM: i32 = 2;
export const ADVICE_WILLNEED: i32 = 3;
export const ADVICE_DONTNEED: i32 = 4;
export const ADVICE_NOREUSE: i32 = 5;
// Linux-only advice, offered to Node callers (not part of the guest ABI).
export const ADVICE_HUGEPAGE: i32 = 16;
export const ADVICE_NOHUGEPAGE: i32 = 17;
export const ADVICE_COLD: i32 = 18;
export const ADVICE_PAGEOUT: i32 = 19;
export const ADVICE_POPULATE_READ: i32 = 20;

export function isGuestAdvice(advice: i32): bool {
  return u32(advice) <= u32(ADVICE_NOREUSE);
}

function isKnownAdvice(advice: i32): bool {
  return isGuestAdvice(advice) || (advice >= ADVICE_HUGEPAGE && advice <= ADVICE_POPULATE_READ);
}

// What the native layer is asked to do. Each platform file turns these into its own flags.
export const ACTION_NONE: i32 = 0;
export const ACTION_MADV_NORMAL: i32 = 1;
export const ACTION_MADV_SEQUENTIAL: i32 = 2;
export const ACTION_MADV_RANDOM: i32 = 3;
export const ACTION_MADV_WILLNEED: i32 = 4;
export const ACTION_MADV_DONTNEED: i32 = 5;
export const ACTION_MADV_HUGEPAGE: i32 = 6;
export const ACTION_MADV_NOHUGEPAGE: i32 = 7;
export const ACTION_MADV_COLD: i32 = 8;
export const ACTION_MADV_PAGEOUT: i32 = 9;
export const ACTION_MADV_POPULATE_READ: i32 = 10;
export const ACTION_PREFETCH_VIRTUAL_MEMORY: i32 = 11;

export const PLATFORM_LINUX: i32 = 0;
export const PLATFORM_DARWIN: i32 = 1;
export const PLATFORM_FREEBSD: i32 = 2;
export const PLATFORM_WIN32: i32 = 3;
export const PLATFORM_OTHER: i32 = 4;

/** The five advice values every BSD-style madvise has. */
function portableMadvise(advice: i32): i32 {
  switch (advice) {
    case ADVICE_NORMAL: return ACTION_MADV_NORMAL;
    case ADVICE_SEQUENTIAL: return ACTION_MADV_SEQUENTIAL;
    case ADVICE_RANDOM: return ACTION_MADV_RANDOM;
    case ADVICE_WILLNEED: return ACTION_MADV_WILLNEED;
    case ADVICE_DONTNEED: return ACTION_MADV_DONTNEED;
    default: return ACTION_NONE;
  }
}

function linuxAction(advice: i32): i32 {
  switch (advice) {
    case ADVICE_HUGEPAGE: return ACTION_MADV_HUGEPAGE;
    case ADVICE_NOHUGEPAGE: return ACTION_MADV_NOHUGEPAGE;
    case ADVICE_COLD: return ACTION_MADV_COLD;
    case ADVICE_PAGEOUT: return ACTION_MADV_PAGEOUT;
    case ADVICE_POPULATE_READ: return ACTION_MADV_POPULATE_READ;
    default: return portableMadvise(advice);
  }
}

/** The action `advice` becomes on `platform`; ACTION_NONE where it has no equivalent. */
export function platformAction(platform: i32, advice: i32): i32 {
  switch (platform) {
    case PLATFORM_LINUX: return linuxAction(advice);
    case PLATFORM_DARWIN:
    case PLATFORM_FREEBSD: return portableMadvise(advice);
    case PLATFORM_WIN32:
      return advice == ADVICE_WILLNEED ? ACTION_PREFETCH_VIRTUAL_MEMORY : ACTION_NONE;
    default: return ACTION_NONE;
  }
}

/**
 * Checks advice against the mapping's mode, then picks the platform action.
 * DontNeed on a copy-on-write mapping would throw away the private writes (the kernel
 * refills the pages from the file), so it is refused unless the caller accepts that.
 * Returns an action (>= 0) or a refusal (< 0).
 */
export function planAdvice(platform: i32, advice: i32, mode: i32, allowDiscard: bool): i32 {
  if (!isKnownAdvice(advice)) return INVALID_ARGUMENT;
  if (advice == ADVICE_DONTNEED && mode == MODE_COW && !allowDiscard) {
    return DISCARDS_PRIVATE_WRITES;
  }
  return platformAction(platform, advice);
}

/**
 * Largest piece the native layer may be handed for one call of `action`; 0 means
 * "only split at segment boundaries".
 */
export function actionChunk(action: i32, readAheadWindow: u64, page: u64): u64 {
  if (action == ACTION_MADV_WILLNEED) {
    return prefetchChunk(readAheadWindow, page);
  }
  return 0;
}
