//! The allocator. On Linux refnet's own allocations go to jemalloc: a render allocates
//! and frees many short-lived strings around a large, long-lived working set (its paper
//! book and note state), from several threads at once, and glibc's malloc spent a
//! quarter of a 100,000-paper render in `malloc`, `free` and their consolidation
//! (BENCHMARKS.md, Render). Other platforms keep their system allocator.
//!
//! jemalloc gives freed memory back to the system a second after it was freed (its
//! default, ten seconds, held a render's peak over 300 MB), and between a render's
//! phases at once ([`give_back`]). `_RJEM_MALLOC_CONF` overrides those settings at run
//! time. C code linked in (SQLite) still allocates with glibc's malloc, tuned by [`tune`].

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: dirty pages are purged after a second, and
/// purged for good rather than kept as "muzzy" pages the kernel may take back.
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "jemalloc reads its settings from this exported C string")]
#[expect(non_upper_case_globals, reason = "the C name jemalloc looks for")]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Caps glibc's malloc arenas at two, unless `MALLOC_ARENA_MAX` says otherwise, for the
/// C code that allocates with it (SQLite's statements and pages): its default, eight
/// per core, gives each thread that ever allocates an arena of its own, and memory freed
/// in one is reused only there.
///
/// And maps blocks of 256 KiB and more on their own, unless `MALLOC_MMAP_THRESHOLD_`
/// says otherwise: glibc raises that threshold to the size of the largest mapped block
/// freed, after which big transient buffers come from the heap and their pages stay
/// resident after they are freed.
///
/// Must run before the first thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt has no safe wrapper")]
pub fn tune() {
    // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
    unsafe {
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        }
    }
}

/// See the glibc version: other allocators are left alone.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

/// Gives the pages of freed memory back to the system now, in every jemalloc arena
/// (and glibc's heap): what a finished phase freed below memory still in use would stay
/// resident until jemalloc's decay. Costs a walk of the arenas: call it between phases,
/// not in tight loops.
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "mallctl and malloc_trim have no safe wrappers")]
pub fn give_back() {
    // `arena.<MALLCTL_ARENAS_ALL>.purge`: every arena.
    // SAFETY: the name is NUL-terminated; this control reads and writes no value.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
    // SAFETY: malloc_trim only releases free pages; it is thread-safe.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other platforms keep their system allocator, left as it is.
#[cfg(not(target_os = "linux"))]
pub fn give_back() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Reads one of jemalloc's `ssize_t` settings.
    #[expect(unsafe_code, reason = "mallctl has no safe wrapper")]
    fn read(name: &std::ffi::CStr) -> Option<isize> {
        let mut value: isize = 0;
        let mut len = std::mem::size_of::<isize>();
        // SAFETY: `value` and `len` describe a buffer of the size the control writes.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&raw mut value).cast(),
                &raw mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        (rc == 0).then_some(value)
    }

    #[test]
    fn jemalloc_allocates_with_refnets_settings() {
        // Only jemalloc answers mallctl, and these are not its defaults (10 s and 0 s).
        assert_eq!(read(c"opt.dirty_decay_ms"), Some(1000));
        assert_eq!(read(c"opt.muzzy_decay_ms"), Some(0));
    }

    #[test]
    #[expect(unsafe_code, reason = "mallctl has no safe wrapper")]
    fn refnets_allocations_are_jemallocs() {
        // jemalloc finds the arena of a block it allocated (the lookup of a block from
        // another allocator crashes the test binary: a failure too).
        let block = vec![1u8; 4096];
        let mut ptr = block.as_ptr();
        let mut arena: u32 = u32::MAX;
        let mut len = std::mem::size_of::<u32>();
        // SAFETY: the control reads a pointer and writes an `unsigned`, as given.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"arenas.lookup".as_ptr(),
                (&raw mut arena).cast(),
                &raw mut len,
                (&raw mut ptr).cast(),
                std::mem::size_of::<*const u8>(),
            )
        };
        assert_eq!(rc, 0, "jemalloc does not know the block");
        assert_ne!(arena, u32::MAX);
    }
}
