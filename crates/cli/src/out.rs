//! Standard output that ends quietly when its reader goes away (`zoo list | head -1`) and
//! reports, instead of panicking, when it cannot be written (`zoo list > /dev/full`):
//! `println!` panics on both.

use std::fmt;
use std::io::{self, Write};

/// Why standard output could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// The reader closed the pipe: nothing more is wanted, and the command ends quietly.
    Closed,
    /// Anything else (a full disk, a revoked descriptor): reported, exit status 1.
    Failed(io::Error),
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Closed => f.write_str("standard output was closed by its reader"),
            OutputError::Failed(e) => write!(f, "cannot write to standard output: {e}"),
        }
    }
}

impl std::error::Error for OutputError {}

/// Writes one line and flushes it, so that a failure shows at the line that caused it.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => OutputError::Closed,
            _ => OutputError::Failed(e),
        })
}

/// `println!` for the CLI: returns early with an [`OutputError`] instead of panicking.
macro_rules! outln {
    () => {
        $crate::out::line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))?
    };
}
pub(crate) use outln;
