//! Ctrl-C and SIGTERM, listened for from the moment a command asks: a signal that comes
//! before anything waits on it, or between two waits, is kept, not lost.

use tokio_util::sync::CancellationToken;

/// Set once Ctrl-C or SIGTERM has come; clones share it.
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(CancellationToken);

impl Shutdown {
    /// Listens from now on: the handlers are in place when this returns, so a command
    /// makes one before its first request. From then on a signal no longer ends the
    /// process by itself; the command waits on [`Shutdown::requested`] and stops cleanly.
    pub(crate) fn listen() -> anyhow::Result<Self> {
        let token = CancellationToken::new();
        let set = token.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let cannot = |e: std::io::Error| anyhow::anyhow!("cannot listen for Ctrl-C: {e}");
            let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
            let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
            tokio::spawn(async move {
                tokio::select! {
                    Some(()) = interrupt.recv() => set.cancel(),
                    Some(()) = terminate.recv() => set.cancel(),
                    else => {}
                }
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                set.cancel();
            }
        });
        Ok(Self(token))
    }

    /// Returns once a signal has come, at once if one came before.
    pub(crate) async fn requested(&self) {
        self.0.cancelled().await;
    }
}
