// How many mapping areas this library may use. The kernel allows a process
// vm.max_map_count areas (65530 by default); mappings past that fail, and so does the
// JavaScript engine when it next needs memory, which kills the process. So the library
// keeps its own areas (mapped segments, plus the splits that range advice makes) below
// the limit, leaving the rest to everything else.

import { ADDRESS_SPACE_EXCEEDED, MAP_COUNT_EXCEEDED, PROCEED } from "./status";
import {
  ACTION_MADV_HUGEPAGE, ACTION_MADV_NOHUGEPAGE, ACTION_MADV_NORMAL, ACTION_MADV_RANDOM,
  ACTION_MADV_SEQUENTIAL,
} from "./advice";

/** Areas left to the rest of the process: an eighth of the limit, at least 4096. */
export function mapHeadroom(maxMapCount: u32): u32 {
  const eighth = maxMapCount / 8;
  return eighth > 4096 ? eighth : 4096;
}

/**
 * May `adding` more areas join the `used` ones? `maxMapCount` 0 means the platform has
 * no such limit.
 */
export function withinMapBudget(used: u32, adding: u32, maxMapCount: u32): i32 {
  if (maxMapCount == 0) return PROCEED;
  const headroom = mapHeadroom(maxMapCount);
  if (maxMapCount <= headroom) return MAP_COUNT_EXCEEDED;
  const budget = maxMapCount - headroom;
  return used <= budget && adding <= budget - used ? PROCEED : MAP_COUNT_EXCEEDED;
}

/**
 * May `adding` more bytes be mapped while `used` are? Mappings may take at most half of
 * the process's address space (`addressSpace` bytes; 0 when unknown, then no limit): a
 * guest that maps huge sparse files must not leave the JavaScript engine without room
 * for its next allocation, which would kill the process. Byte counts are below 2^53,
 * exact as f64.
 */
export function withinAddressBudget(used: f64, adding: f64, addressSpace: f64): i32 {
  if (!(addressSpace > 0)) return PROCEED;
  const budget = addressSpace / 2;
  return used <= budget && adding <= budget - used ? PROCEED : ADDRESS_SPACE_EXCEEDED;
}

/**
 * Advice that changes the flags of the kernel's mapping area, so that advising part of
 * one splits it in up to three. The others only act on pages.
 */
export function actionSplitsMapping(action: i32): bool {
  return action == ACTION_MADV_NORMAL || action == ACTION_MADV_SEQUENTIAL ||
    action == ACTION_MADV_RANDOM || action == ACTION_MADV_HUGEPAGE || action == ACTION_MADV_NOHUGEPAGE;
}
