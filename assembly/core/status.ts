// Outcome of a check, shared by every entry point of the core.
// Zero or positive: go ahead. Negative: refuse, and the value names the reason.
// The host maps each refusal to an MmapError code; the guest path maps it to an errno.

/** Valid; perform the operation. */
export const PROCEED: i32 = 0;
/** Valid, and there is nothing to do (empty range, flush of a mapping that cannot be dirty). */
export const NOTHING_TO_DO: i32 = 1;

export const INVALID_ARGUMENT: i32 = -1;
export const OUT_OF_BOUNDS: i32 = -2;
export const INVALID_MODE: i32 = -3;
export const CLOSED: i32 = -4;
export const DISCARDS_PRIVATE_WRITES: i32 = -5;
/** A zero-copy view was asked for across two segments (only copies may cross them). */
export const VIEW_SPANS_SEGMENTS: i32 = -6;
/** The process would exceed the kernel's limit on mapping areas (vm.max_map_count). */
export const MAP_COUNT_EXCEEDED: i32 = -7;
/** The file shrank beneath the mapping: the bytes of a copy are gone. */
export const TRUNCATED: i32 = -8;
/** The runtime refuses external buffers (a memory cage), so a mapping has no zero-copy view. */
export const NO_EXTERNAL_BUFFERS: i32 = -10;
/** Mappings would take more of the process's address space than the library allows itself. */
export const ADDRESS_SPACE_EXCEEDED: i32 = -9;
