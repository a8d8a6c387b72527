//! Giving freed memory back to the operating system, and keeping the allocator from holding
//! more than the work needs.
//!
//! The allocator keeps pages it was given back for later use, and the peak resident size of a
//! command counts them. A command that frees a large working set part-way (a scan of a million
//! readings frees twice what it keeps) and then builds another one can ask for those pages
//! to be returned first, so that its peak is the larger of the two rather than their sum.

/// Returns the pages of freed memory to the operating system (glibc's `malloc_trim`); does
/// nothing where the allocator has no such call.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory the allocator holds; it touches no live
    // allocation and takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Caps the allocator's arenas at one per CPU (glibc's `M_ARENA_MAX`; its default is eight per
/// CPU), before any thread starts. Forecasts are computed by a pool of one worker per CPU and
/// freed by the main thread: with an arena of its own for every thread that ever allocated,
/// the pages a worker's freed forecasts leave in its arena are not reused by the next
/// thread's, and a cold fever chart over 2,000 metrics peaked at 118 MB instead of 103 MB on
/// two CPUs (same time; one arena in all took 15% longer). Does nothing elsewhere.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = libc::c_int::try_from(cpus).unwrap_or(libc::c_int::MAX).max(1);
        // SAFETY: mallopt sets an allocator parameter; it takes no pointer, and is called
        // before this process starts any other thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
