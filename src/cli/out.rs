//! Writing to stdout without panicking when its reader has gone (`refnet jobs dead |
//! head -1`): `println!` panics on a broken pipe; these return [`PipeClosed`], which ends
//! the command quietly.

use std::io::Write;

/// Stdout's reader went away: nothing more can be said, and nothing is wrong.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub(crate) struct PipeClosed;

/// Writes one line on stdout.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(PipeClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}
