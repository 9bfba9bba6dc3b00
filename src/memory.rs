//! glibc's malloc, tuned for a process that holds a large, long-lived working set (a
//! render's paper book and note state) and allocates and frees many short-lived
//! strings around it. Other platforms' allocators are left as they are.

/// Caps glibc's malloc arenas at two, unless `MALLOC_ARENA_MAX` says otherwise. Its
/// default, eight per core, gives each thread that ever allocates an arena of its own, and
/// memory freed in one is reused only there: a 100,000-paper render (built on one thread,
/// written on another, the runtime's and the blocking pool's besides) peaked at 461–481
/// MiB with the default against 398–417 MiB with two arenas (BENCHMARKS.md, Render).
///
/// And maps blocks of 256 KiB and more on their own, unless `MALLOC_MMAP_THRESHOLD_`
/// says otherwise: glibc raises that threshold to the size of the largest mapped block
/// freed, after which a render's big transient buffers (rows read, edge lists) come from
/// the heap and their pages stay resident after they are freed.
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

/// Gives the pages of freed memory back to the system. glibc returns only the top of
/// its heap by itself; what a finished phase freed below memory still in use stays
/// resident (a 100,000-paper render held 100 MiB more than it used). Costs a walk of
/// the free lists: call it between phases, not in loops.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "malloc_trim has no safe wrapper")]
pub fn give_back() {
    // SAFETY: malloc_trim only releases free pages; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// See the glibc version: other allocators are left alone.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

/// See the glibc version: other allocators are left alone.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}
