// Advice values. The five portable ones (and NoReuse) are numbered as WASI `fd_advise`
// numbers them, which is also the guest ABI's numbering; the core's table turns each
// into the platform's own call.

export const MmapAdvice = {
  /** Default read-ahead. */
  Normal: 0,
  /** Expect sequential access: read ahead aggressively, drop pages behind. */
  Sequential: 1,
  /** Expect random access: no read-ahead. */
  Random: 2,
  /** Prefetch the whole range now (in read-ahead-sized chunks, so all of it arrives). */
  WillNeed: 3,
  /** Drop the range's pages from this mapping; file data stays. Refused on cow unless `allowDiscard`. */
  DontNeed: 4,
  /** Accepted everywhere, no effect (as in WASI). */
  NoReuse: 5,
  /** Linux only: back the range with transparent huge pages where possible. */
  HugePage: 16,
  /** Linux only: never use transparent huge pages for the range. */
  NoHugePage: 17,
  /** Linux 5.4+: the pages are cold; reclaim them first under memory pressure. */
  Cold: 18,
  /** Linux 5.4+: reclaim the range's pages now. */
  PageOut: 19,
  /** Linux 5.14+: fault every page of the range in now (synchronously, reading the file). */
  PopulateRead: 20,
} as const;

export type MmapAdvice = (typeof MmapAdvice)[keyof typeof MmapAdvice];

export interface AdviseOptions {
  /** Let DontNeed proceed on a copy-on-write mapping, discarding its private writes. */
  allowDiscard?: boolean;
}
