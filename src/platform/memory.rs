//! Giving freed memory back to the operating system.
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
