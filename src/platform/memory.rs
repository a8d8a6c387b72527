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
        // The CPUs this process may run on, from one system call: `available_parallelism`
        // also reads the cgroup's files, three more opens before every command (`log` took
        // 0.9 ms longer).
        // SAFETY: `set` is a plain bit set that sched_getaffinity fills (its size is given);
        // CPU_COUNT only reads it. mallopt sets an allocator parameter, takes no pointer, and
        // is called before this process starts any other thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let cpus = if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                libc::CPU_COUNT(&set)
            } else {
                1
            };
            libc::mallopt(libc::M_ARENA_MAX, cpus.max(1));
        }
    }
}
