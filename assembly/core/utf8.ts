// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequences.

export function isValidUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) { i++; continue; }
    let need: usize;
    let min: u32;
    let cp: u32;
    if ((b0 & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = b0 & 0x1f; }
    else if ((b0 & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = b0 & 0x0f; }
    else if ((b0 & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = b0 & 0x07; }
    else return false;
    if (len - i <= need) return false;
    for (let k: usize = 1; k <= need; k++) {
      const b = <u32>load<u8>(ptr + i + k);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}
