//! Which process this is, as a count of forks: a forked child inherits the parent's runtime and
//! pooled connections without the threads that drive them, so what was made before a fork must
//! be made again after it. Counted by a `pthread_atfork` handler rather than compared by
//! `getpid()`, which is a system call on every request (glibc no longer caches it).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static FORKS: AtomicU64 = AtomicU64::new(0);
/// Whether forks are counted (the handler was registered).
static COUNTED: OnceLock<bool> = OnceLock::new();

/// This process, as a value that differs from its parent's: the forks counted since the first
/// call of this function, or the process id where they cannot be counted.
pub fn generation() -> u64 {
    if *COUNTED.get_or_init(count_forks) {
        FORKS.load(Ordering::Acquire)
    } else {
        u64::from(std::process::id()) << 32
    }
}

#[cfg(unix)]
fn count_forks() -> bool {
    extern "C" fn in_child() {
        // Async-signal-safe, as a handler in a forked child of a threaded process must be.
        FORKS.fetch_add(1, Ordering::Release);
    }
    // SAFETY: registers a handler that only touches an atomic, valid for the process's life.
    // It fails only without memory (ENOMEM).
    unsafe { libc::pthread_atfork(None, None, Some(in_child)) == 0 }
}

/// No `fork()` to count.
#[cfg(not(unix))]
fn count_forks() -> bool {
    true
}
