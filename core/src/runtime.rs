//! The I/O runtime the Python and Node packages run calls on (one per process).

use std::num::NonZeroUsize;

use tokio::runtime::{Builder, Runtime};

use crate::ConfigError;

/// The environment variable that sets how many I/O threads the runtime has.
pub const IO_THREADS_VARIABLE: &str = "PARAGON_IO_THREADS";

/// The most I/O threads accepted: more only costs memory and start-up (and tens of thousands
/// exhaust the process's threads, which aborts it).
pub const MAX_IO_THREADS: usize = 256;

/// How many I/O threads a runtime gets: `PARAGON_IO_THREADS`, or one fewer than the machine's
/// cores (at least one). The Python or JavaScript thread making the calls needs a core of its
/// own, and on small machines a second idle worker costs wake-ups (measured on 2 cores: one
/// worker serves sequential Node calls about 40% faster than two).
pub fn io_threads() -> Result<usize, ConfigError> {
    io_threads_from(std::env::var(IO_THREADS_VARIABLE).ok())
}

/// [`io_threads`] for the variable's value (a test seam: tests never change the environment
/// other threads read).
fn io_threads_from(variable: Option<String>) -> Result<usize, ConfigError> {
    let Some(text) = variable else {
        return Ok(std::thread::available_parallelism()
            .map_or(1, |cores| cores.get().saturating_sub(1).max(1)));
    };
    text.trim()
        .parse::<NonZeroUsize>()
        .ok()
        .map(NonZeroUsize::get)
        .filter(|threads| *threads <= MAX_IO_THREADS)
        .ok_or_else(|| {
            ConfigError::new(
                IO_THREADS_VARIABLE,
                format!("must be a whole number from 1 to {MAX_IO_THREADS}, not {text:?}"),
            )
        })
}

/// Starts a multi-threaded runtime with [`io_threads`] workers named `paragon-connect`.
pub fn io_runtime() -> Result<Runtime, ConfigError> {
    let threads = io_threads()?;
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("paragon-connect")
        .enable_all()
        .build()
        .map_err(|error| {
            ConfigError::new(
                IO_THREADS_VARIABLE,
                format!("could not start {threads} I/O threads: {error}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_io_thread_count_leaves_a_core_for_the_caller() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(io_threads_from(None).unwrap(), (cores - 1).max(1));
        assert_eq!(io_threads_from(Some("3".into())).unwrap(), 3);
        assert_eq!(io_threads_from(Some("256".into())).unwrap(), 256);
        for wrong in ["0", "-1", "two", "", "257", "100000"] {
            let error = io_threads_from(Some(wrong.into())).unwrap_err().to_string();
            assert!(
                error.contains(IO_THREADS_VARIABLE) && error.contains(wrong),
                "{error}"
            );
        }
    }
}
