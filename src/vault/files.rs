//! Files written whole: a new file linked into place only if nothing is there yet, the
//! unique names of temporary files, and a file's stamp.

use std::io::Write;
use std::path::Path;

/// What [`Vault::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creation {
    /// The file is new; its stamp ([`Vault::stamp`]) as written, when known.
    Created(Option<String>),
    /// Something was there already: nothing was written.
    Existed,
}

impl Creation {
    /// Whether the file was created.
    pub fn created(&self) -> bool {
        matches!(self, Self::Created(_))
    }
}

/// A file's stamp: its size and modification time, `None` for anything but a file.
pub(super) fn stamp_of(meta: &std::fs::Metadata) -> Option<String> {
    if !meta.is_file() {
        return None;
    }
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("{}:{}", meta.len(), modified.as_nanos()))
}

/// Writes `content` into an unnamed file in `dir` and links it as `path`:
/// [`Creation::Existed`] when `path` exists.
#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "linkat (create-if-absent from an O_TMPFILE) has no safe wrapper"
)]
pub(super) fn link_new(dir: &Path, path: &Path, content: &[u8]) -> std::io::Result<Creation> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o666)
        .open(dir)?;
    file.write_all(content)?;
    // The stamp of what was written, before anyone else can reach the file (linking it
    // changes neither its size nor its modification time).
    let stamp = file.metadata().ok().as_ref().and_then(stamp_of);
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let to = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: both arguments are NUL-terminated strings that live across the call, and
    // the descriptor `from` names stays open until `file` drops after it.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        return Ok(Creation::Created(stamp));
    }
    let error = std::io::Error::last_os_error();
    if error.kind() == std::io::ErrorKind::AlreadyExists {
        Ok(Creation::Existed)
    } else {
        Err(error)
    }
}

/// `<pid>-<n>`: unique among this process's writes, and across processes.
pub(super) fn unique_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}
