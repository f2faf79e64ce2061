//! The `mmap_wasi` import module (guest ABI versions 1 and 2) for Rust guests built for
//! `wasm32-wasi`: the raw imports in [`sys`]; [`Mapping`], a handle that closes itself on
//! drop and turns errnos into `Result<_, Errno>`; and [`GuestMapping`], a range of a file
//! in the guest's own memory, read and written as a byte slice, unmapped on drop.
//!
//! A single file with no dependencies, so that `rustc` alone can build a guest:
//! `#[path = "path/to/mmap_wasi.rs"] mod mmap_wasi;` (examples/rust/ names
//! `../../sdk/rust/mmap_wasi.rs`).

#![allow(dead_code)] // a guest uses only part of the SDK

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::os::wasi::io::AsRawFd;

/// The raw imports, exactly as the ABI declares them. Each returns an errno (0 is
/// success) except `page_size`; out-parameters are written only on success.
pub mod sys {
    // rustc gives wasm imports unique symbol names, so `open`, `read`, `close`, ...
    // do not collide with wasi-libc's functions of the same name.
    #[link(wasm_import_module = "mmap_wasi")]
    extern "C" {
        pub fn page_size() -> u32;
        pub fn open(path_ptr: *const u8, path_len: u32, mode: i32, out_handle: *mut u32) -> i32;
        pub fn create(path_ptr: *const u8, path_len: u32, size: u64, out_handle: *mut u32) -> i32;
        pub fn len(handle: u32, out_len: *mut u64) -> i32;
        pub fn read(handle: u32, offset: u64, dst_ptr: *mut u8, len: u32) -> i32;
        pub fn write(handle: u32, offset: u64, src_ptr: *const u8, len: u32) -> i32;
        pub fn advise(handle: u32, offset: u64, len: u64, advice: i32) -> i32;
        pub fn flush(handle: u32, offset: u64, len: u64) -> i32;
        pub fn resize(handle: u32, new_len: u64) -> i32;
        pub fn resident(handle: u32, offset: u64, len: u64, out_pages: *mut u64) -> i32;
        pub fn close(handle: u32) -> i32;
        // Version 2: guest mappings. Only the functions a guest calls are imported, so a
        // guest that calls none of these still runs on a version 1 host.
        pub fn map(handle: u32, offset: u64, len: u64, prot: i32, out_addr: *mut u32) -> i32;
        pub fn unmap(addr: u32, len: u64) -> i32;
        pub fn sync(addr: u32, len: u64) -> i32;
        pub fn madvise(addr: u32, len: u64, advice: i32) -> i32;
        pub fn map_kind() -> i32;
        pub fn open_fd(fd: u32, mode: i32, out_handle: *mut u32) -> i32;
    }
}

/// An errno from the host, numbered as WASI preview1 numbers them. A struct rather
/// than an enum, so that a value this SDK does not know is still representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Errno(pub i32);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    /// The mapping's mode forbids it, or the OS refused access.
    pub const ACCES: Errno = Errno(2);
    /// The handle is not open.
    pub const BADF: Errno = Errno(8);
    /// A buffer lies outside the guest's memory.
    pub const FAULT: Errno = Errno(21);
    /// The path is not valid UTF-8.
    pub const ILSEQ: Errno = Errno(25);
    /// Bad mode, bad advice, empty path, or NUL byte in the path.
    pub const INVAL: Errno = Errno(28);
    /// Host failure with no better errno, or the file was truncated beneath the mapping.
    pub const IO: Errno = Errno(29);
    /// The path names a directory.
    pub const ISDIR: Errno = Errno(31);
    /// The host's limit on open handles is reached.
    pub const MFILE: Errno = Errno(33);
    /// No such file (open) or no such parent directory (create).
    pub const NOENT: Errno = Errno(44);
    /// The host's limit on mapped bytes is reached, or the OS could not map.
    pub const NOMEM: Errno = Errno(48);
    /// `DontNeed` on a copy-on-write mapping.
    pub const NOTSUP: Errno = Errno(58);
    /// The range is outside the mapping, or `offset + len` overflows u64.
    pub const RANGE: Errno = Errno(68);
    /// The path is outside every grant, or the access goes beyond the grant.
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The name the ABI gives this errno (`"range"`, `"notcapable"`, ...), or `"unknown"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "success",
            2 => "acces",
            8 => "badf",
            21 => "fault",
            25 => "ilseq",
            28 => "inval",
            29 => "io",
            31 => "isdir",
            33 => "mfile",
            44 => "noent",
            48 => "nomem",
            58 => "notsup",
            68 => "range",
            76 => "notcapable",
            _ => "unknown",
        }
    }

    /// A short description, for messages.
    pub fn description(self) -> &'static str {
        match self.0 {
            0 => "success",
            2 => "access denied by the mapping's mode or the OS",
            8 => "handle not open",
            21 => "buffer outside the guest's memory",
            25 => "path is not valid UTF-8",
            28 => "invalid argument",
            29 => "host I/O failure",
            31 => "path names a directory",
            33 => "too many open handles",
            44 => "no such file or directory",
            48 => "mapping limit reached or out of memory",
            58 => "not supported on this mapping",
            68 => "range outside the mapping",
            76 => "path outside the granted directories",
            _ => "unknown error",
        }
    }

    fn check(code: i32) -> Result<(), Errno> {
        if code == 0 {
            Ok(())
        } else {
            Err(Errno(code))
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {} ({}): {}", self.0, self.name(), self.description())
    }
}

impl std::error::Error for Errno {}

/// How [`Mapping::open`] maps the file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum Mode {
    /// Read-only: `write` and `resize` fail with `ACCES`.
    Ro = 0,
    /// Read-write: writes reach the file.
    Rw = 1,
    /// Copy-on-write: writes stay private to this handle and never reach the file.
    Cow = 2,
}

/// Access-pattern advice, numbered as WASI `fd_advise` numbers it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum Advice {
    /// Default read-ahead.
    Normal = 0,
    /// Aggressive read-ahead.
    Sequential = 1,
    /// No read-ahead.
    Random = 2,
    /// Prefetch the whole range.
    WillNeed = 3,
    /// Drop the range's pages. Refused with `NOTSUP` on a copy-on-write mapping, where
    /// it would lose the private writes.
    DontNeed = 4,
    /// Accepted, no effect.
    NoReuse = 5,
}

/// How the host makes guest mappings ([`map_kind`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapKind {
    /// The host copies: in at `map`, back at `sync` and unmap (writable mappings).
    Copy,
    /// The file's own pages, in the guest's memory (zero-copy).
    InPlace,
}

/// How this host makes guest mappings; the same for the whole guest instance.
pub fn map_kind() -> MapKind {
    // SAFETY: takes no arguments and touches no guest memory.
    match unsafe { sys::map_kind() } {
        1 => MapKind::InPlace,
        _ => MapKind::Copy,
    }
}

/// The host's page size in bytes. Never needed for alignment: the host aligns ranges.
pub fn page_size() -> u32 {
    // SAFETY: takes no arguments and touches no guest memory.
    unsafe { sys::page_size() }
}

/// Buffer lengths cross the ABI as u32. On wasm32 every slice length fits; anything
/// else could not lie inside guest memory, which is what `FAULT` means.
fn buffer_len(len: usize) -> Result<u32, Errno> {
    u32::try_from(len).map_err(|_| Errno::FAULT)
}

/// A file mapped by the host. Closed when dropped; call [`Mapping::close`] to see the
/// errno of closing.
#[derive(Debug)]
pub struct Mapping {
    handle: u32,
}

impl Mapping {
    /// Maps the whole existing file at `path` (absolute, in the guest's view) with `mode`.
    pub fn open(path: &str, mode: Mode) -> Result<Mapping, Errno> {
        let mut handle = 0u32;
        // SAFETY: the path pointer and length come from one live &str; `handle` is a
        // live u32 the host may write.
        Errno::check(unsafe {
            sys::open(path.as_ptr(), buffer_len(path.len())?, mode as i32, &mut handle)
        })?;
        Ok(Mapping { handle })
    }

    /// A handle for the file behind a WASI file descriptor the guest holds (a
    /// `std::fs::File`, say), mapped as [`Mapping::open`] would map that file's path: the
    /// same modes, grants and errnos. `NOTSUP` where the host has no view of the guest's
    /// WASI files. The handle does not keep the descriptor open.
    pub fn from_fd(file: &impl AsRawFd, mode: Mode) -> Result<Mapping, Errno> {
        // A descriptor is never negative; if one were, the host would not hold it.
        let fd = u32::try_from(file.as_raw_fd()).map_err(|_| Errno::BADF)?;
        Mapping::from_raw_fd(fd, mode)
    }

    /// [`Mapping::from_fd`] for a raw descriptor number, such as a preopen's.
    pub fn from_raw_fd(fd: u32, mode: Mode) -> Result<Mapping, Errno> {
        let mut handle = 0u32;
        // SAFETY: `handle` is a live u32 the host may write.
        Errno::check(unsafe { sys::open_fd(fd, mode as i32, &mut handle) })?;
        Ok(Mapping { handle })
    }

    /// Creates the file, or truncates an existing one, to `size` zero bytes and maps it
    /// read-write. Needs a read-write grant.
    pub fn create(path: &str, size: u64) -> Result<Mapping, Errno> {
        let mut handle = 0u32;
        // SAFETY: as in `open`.
        Errno::check(unsafe {
            sys::create(path.as_ptr(), buffer_len(path.len())?, size, &mut handle)
        })?;
        Ok(Mapping { handle })
    }

    /// The raw handle, for calls into [`sys`]. Still owned by this `Mapping`.
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// The mapping's current length in bytes.
    #[allow(clippy::len_without_is_empty)] // the length is a host call that can fail
    pub fn len(&self) -> Result<u64, Errno> {
        let mut len = 0u64;
        // SAFETY: `len` is a live u64 the host may write.
        Errno::check(unsafe { sys::len(self.handle, &mut len) })?;
        Ok(len)
    }

    /// Fills `dst` with the bytes at `offset`. `RANGE` if they are not all in the mapping.
    pub fn read(&self, offset: u64, dst: &mut [u8]) -> Result<(), Errno> {
        // SAFETY: `dst` is a live, exclusively borrowed buffer of exactly this length.
        Errno::check(unsafe {
            sys::read(self.handle, offset, dst.as_mut_ptr(), buffer_len(dst.len())?)
        })
    }

    /// Copies `src` into the mapping at `offset`. Never grows it: resize first.
    pub fn write(&mut self, offset: u64, src: &[u8]) -> Result<(), Errno> {
        // SAFETY: `src` is a live buffer of exactly this length; the host only reads it.
        Errno::check(unsafe { sys::write(self.handle, offset, src.as_ptr(), buffer_len(src.len())?) })
    }

    /// Gives `advice` for `[offset, offset + len)`. No alignment is needed.
    pub fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Errno> {
        // SAFETY: plain values, no guest memory.
        Errno::check(unsafe { sys::advise(self.handle, offset, len, advice as i32) })
    }

    /// Writes the range's dirty pages to the file; they are durable when this returns.
    pub fn flush(&self, offset: u64, len: u64) -> Result<(), Errno> {
        // SAFETY: plain values, no guest memory.
        Errno::check(unsafe { sys::flush(self.handle, offset, len) })
    }

    /// Sets the file's length and remaps it (read-write mappings only).
    pub fn resize(&mut self, new_len: u64) -> Result<(), Errno> {
        // SAFETY: plain values, no guest memory.
        Errno::check(unsafe { sys::resize(self.handle, new_len) })
    }

    /// How many pages of `[offset, offset + len)` are resident in memory.
    pub fn resident(&self, offset: u64, len: u64) -> Result<u64, Errno> {
        let mut pages = 0u64;
        // SAFETY: `pages` is a live u64 the host may write.
        Errno::check(unsafe { sys::resident(self.handle, offset, len, &mut pages) })?;
        Ok(pages)
    }

    /// Makes bytes `[offset, offset + len)` of the file readable as a slice in the guest's
    /// own memory (ABI version 2). The mapping outlives this handle: it stays valid after
    /// `close`, until it is dropped. `RANGE` past the file's end, `INVAL` if `len` is 0,
    /// `NOMEM` when the memory cannot grow by enough or `len` exceeds `isize::MAX` (the
    /// most a slice can hold).
    ///
    /// # Safety
    ///
    /// A slice promises that its bytes do not change while it is borrowed. So while the
    /// returned mapping lives, nothing else may change these bytes of the file: no other
    /// process may write or truncate it, and this guest may not write them through a
    /// writable mapping, [`Mapping::write`], [`Mapping::resize`] or [`Mapping::create`].
    /// Where that promise is broken the host still contains the damage: the guest may see
    /// the new bytes, and a page lost to truncation reads as zeros while calls on the
    /// file's handles return `IO`; nothing outside the guest's memory is touched.
    pub unsafe fn map(&self, offset: u64, len: usize) -> Result<GuestMapping, Errno> {
        GuestMapping::new(self.handle, offset, len)
    }

    /// As [`Mapping::map`], but writable: on a [`Mode::Rw`] handle the stores reach the
    /// file ([`GuestMapping::sync`] makes them durable) and every other mapping of it sees
    /// them; on a [`Mode::Cow`] handle they stay private to this mapping. `ACCES` on a
    /// [`Mode::Ro`] handle.
    ///
    /// # Safety
    ///
    /// As for [`Mapping::map`]; also, no other mapping of these bytes may be alive in this
    /// guest while this one is, or a shared slice would change beneath its borrower.
    pub unsafe fn map_mut(&self, offset: u64, len: usize) -> Result<GuestMappingMut, Errno> {
        GuestMapping::new(self.handle, offset, len)
    }

    /// Unmaps the file and releases the handle, reporting the host's errno.
    pub fn close(self) -> Result<(), Errno> {
        let handle = self.handle;
        // Drop must not close again: the host may already have reused the number.
        std::mem::forget(self);
        // SAFETY: plain value, no guest memory.
        Errno::check(unsafe { sys::close(handle) })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: plain value, no guest memory. An errno cannot be reported from drop.
        let _ = unsafe { sys::close(self.handle) };
    }
}

/// What a [`GuestMapping`] allows: [`ReadOnly`] or [`ReadWrite`].
pub trait Access: sealed::Sealed {
    /// The ABI's `prot`.
    const PROT: i32;
}

/// A read-only guest mapping: loads only, and its bytes never reach the file.
#[derive(Debug)]
pub enum ReadOnly {}

/// A writable guest mapping.
#[derive(Debug)]
pub enum ReadWrite {}

impl Access for ReadOnly {
    const PROT: i32 = 1;
}

impl Access for ReadWrite {
    const PROT: i32 = 3;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ReadOnly {}
    impl Sealed for super::ReadWrite {}
}

/// A writable guest mapping, from [`Mapping::map_mut`].
pub type GuestMappingMut = GuestMapping<ReadWrite>;

/// A range of a file in the guest's own memory (ABI version 2), from [`Mapping::map`] or
/// [`Mapping::map_mut`]: the slice's loads and stores are the file's bytes, with no host
/// call per access (or, where [`map_kind`] is [`MapKind::Copy`], a copy the host fills at
/// map and writes back at [`GuestMapping::sync`] and unmap). Unmapped when dropped; the
/// range then reads as zeros, and the host may map something else there.
#[derive(Debug)]
pub struct GuestMapping<A: Access = ReadOnly> {
    addr: u32,
    len: usize,
    access: PhantomData<A>,
}

impl<A: Access> GuestMapping<A> {
    fn new(handle: u32, offset: u64, len: usize) -> Result<Self, Errno> {
        // A slice may not be longer than isize::MAX bytes.
        if len > isize::MAX as usize {
            return Err(Errno::NOMEM);
        }
        let mut addr = 0u32;
        // SAFETY: `addr` is a live u32 the host may write; no other guest memory is touched.
        Errno::check(unsafe { sys::map(handle, offset, len as u64, A::PROT, &mut addr) })?;
        let mapping = GuestMapping { addr, len, access: PhantomData };
        // The host maps only into memory it grows, never at 0, which a slice could not
        // start at: were it so, drop unmaps it again.
        if addr == 0 {
            return Err(Errno::IO);
        }
        Ok(mapping)
    }

    /// The guest address of the first mapped byte.
    pub fn addr(&self) -> u32 {
        self.addr
    }

    /// How many bytes are mapped.
    #[allow(clippy::len_without_is_empty)] // never empty: `map` refuses length 0
    pub fn len(&self) -> usize {
        self.len
    }

    /// The mapped bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the host made [addr, addr + len) part of the guest's memory, which never
        // shrinks, and released it to nothing else while this mapping lives (it is unmapped
        // only by drop or `unmap`, which take it); addr is not 0 and len at most isize::MAX
        // (checked in `new`); every byte of wasm memory is initialized; that nothing else
        // changes the bytes meanwhile is what the caller of `map` promised.
        unsafe { std::slice::from_raw_parts(self.addr as usize as *const u8, self.len) }
    }

    /// Makes the stores in the whole mapping durable in the file before returning.
    /// Read-only and copy-on-write mappings: success, nothing to write.
    pub fn sync(&self) -> Result<(), Errno> {
        self.sync_range(0, self.len)
    }

    /// [`GuestMapping::sync`] of bytes `[offset, offset + len)` of the mapping. `INVAL`
    /// if they are not all inside it.
    pub fn sync_range(&self, offset: usize, len: usize) -> Result<(), Errno> {
        let addr = self.subrange(offset, len)?;
        // SAFETY: plain values; the host checks the range against its live mappings.
        Errno::check(unsafe { sys::sync(addr, len as u64) })
    }

    /// Gives `advice` for the whole mapping; [`Advice::WillNeed`] brings all of it in.
    pub fn advise(&self, advice: Advice) -> Result<(), Errno> {
        self.advise_range(0, self.len, advice)
    }

    /// [`GuestMapping::advise`] for bytes `[offset, offset + len)` of the mapping.
    /// `INVAL` if they are not all inside it.
    pub fn advise_range(&self, offset: usize, len: usize, advice: Advice) -> Result<(), Errno> {
        let addr = self.subrange(offset, len)?;
        // SAFETY: plain values; the host checks the range against its live mappings.
        Errno::check(unsafe { sys::madvise(addr, len as u64, advice as i32) })
    }

    /// How the host makes guest mappings ([`map_kind`]).
    pub fn map_kind(&self) -> MapKind {
        map_kind()
    }

    /// Unmaps, reporting the host's errno: with copies, a writable mapping is written back
    /// first, which may fail (`IO`). The mapping is released either way.
    pub fn unmap(self) -> Result<(), Errno> {
        let (addr, len) = (self.addr, self.len);
        // Drop must not unmap again: the host may already have mapped something else there.
        std::mem::forget(self);
        // SAFETY: plain values; no slice of this mapping outlives `self`, consumed here.
        Errno::check(unsafe { sys::unmap(addr, len as u64) })
    }

    // The guest address of `offset`; INVAL, as the host answers for a range outside the
    // mapping, so that the address arithmetic cannot wrap.
    fn subrange(&self, offset: usize, len: usize) -> Result<u32, Errno> {
        match offset.checked_add(len) {
            // A mapping may end at 4 GiB exactly: an empty range there has no u32 address.
            Some(end) if end <= self.len => u32::try_from(self.addr as u64 + offset as u64).map_err(|_| Errno::INVAL),
            _ => Err(Errno::INVAL),
        }
    }
}

impl GuestMapping<ReadWrite> {
    /// The mapped bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; the borrow of `self` is exclusive, and the caller of
        // `map_mut` promised that no other mapping shows these bytes meanwhile.
        unsafe { std::slice::from_raw_parts_mut(self.addr as usize as *mut u8, self.len) }
    }
}

impl<A: Access> Deref for GuestMapping<A> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for GuestMapping<ReadWrite> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl<A: Access> AsRef<[u8]> for GuestMapping<A> {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<A: Access> Drop for GuestMapping<A> {
    fn drop(&mut self) {
        // SAFETY: plain values; every slice of this mapping borrowed `self`, so none is
        // left. An errno cannot be reported from drop: call `unmap` to see it.
        let _ = unsafe { sys::unmap(self.addr, self.len as u64) };
    }
}
