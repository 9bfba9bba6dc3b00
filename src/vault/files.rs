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
pub(super) fn link_new(dir: &Path, path: &Path, content: &[u8]) -> std::io::Result<Creation> {
    use std::sync::atomic::{AtomicBool, Ordering};
    // Whether linking the descriptor itself was refused: then this process links through
    // `/proc` from there on.
    static THROUGH_PROC: AtomicBool = AtomicBool::new(false);
    let first = if THROUGH_PROC.load(Ordering::Relaxed) {
        Link::Proc
    } else {
        Link::Fd
    };
    let (created, linked) = link_new_as(dir, path, content, first)?;
    if linked != first {
        THROUGH_PROC.store(true, Ordering::Relaxed);
    }
    Ok(created)
}

/// How an unnamed file is given its name.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// `linkat` of the descriptor itself (`AT_EMPTY_PATH`): what Linux allows since 6.10
    /// for a file the caller opened, and before only with `CAP_DAC_READ_SEARCH`. At
    /// 100,000 notes, looking up a `/proc` path per note cost 0.4 s of CPU.
    Fd,
    /// `linkat` of `/proc/self/fd/N`, which any process may do.
    Proc,
}

/// [`link_new`], linked the `how` way, or through `/proc` when linking the descriptor
/// itself is refused; with the way it was linked.
#[cfg(target_os = "linux")]
pub(super) fn link_new_as(dir: &Path, path: &Path, content: &[u8], how: Link) -> std::io::Result<(Creation, Link)> {
    use std::ffi::CString;
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
    let to = CString::new(path.as_os_str().as_bytes())?;
    let mut used = how;
    let mut linked = link_as(&file, &to, how);
    if how == Link::Fd
        && let Err(e) = &linked
        && matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EPERM))
    {
        used = Link::Proc;
        linked = link_as(&file, &to, Link::Proc);
    }
    match linked {
        Ok(()) => Ok((Creation::Created(stamp), used)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((Creation::Existed, used)),
        Err(e) => Err(e),
    }
}

/// Links the unnamed `file` as `to`, the `how` way.
#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "linkat (create-if-absent from an O_TMPFILE) has no safe wrapper"
)]
fn link_as(file: &std::fs::File, to: &std::ffi::CStr, how: Link) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;

    let (from_dir, from, flags) = match how {
        Link::Fd => (file.as_raw_fd(), CString::default(), libc::AT_EMPTY_PATH),
        Link::Proc => (
            libc::AT_FDCWD,
            CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?,
            libc::AT_SYMLINK_FOLLOW,
        ),
    };
    // SAFETY: both paths are NUL-terminated strings that live across the call, and the
    // descriptor (`from_dir`, or the one `from` names) is `file`'s, open for the call.
    let rc = unsafe { libc::linkat(from_dir, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `<pid>-<n>`: unique among this process's writes, and across processes.
pub(super) fn unique_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Each way of linking: the text lands whole under the name, the stamp is the file's,
    /// and a second file for the same name is refused with the first left as it was.
    fn links_once(link: impl Fn(&Path, &Path, &[u8]) -> std::io::Result<Creation>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Note.md");
        let first = link(dir.path(), &path, b"first").expect("linked");
        let meta = std::fs::metadata(&path).expect("the note exists");
        assert_eq!(first, Creation::Created(stamp_of(&meta)));
        assert_eq!(link(dir.path(), &path, b"second").expect("refused"), Creation::Existed);
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        // Nothing else was left in the folder (an unlinked file has no name).
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn a_new_file_is_linked_whole_and_never_over_another() {
        links_once(link_new);
    }

    #[test]
    fn linking_through_proc_does_the_same() {
        links_once(|dir, path, content| {
            let (created, linked) = link_new_as(dir, path, content, Link::Proc)?;
            assert_eq!(linked, Link::Proc);
            Ok(created)
        });
    }

    #[test]
    fn linking_into_a_missing_folder_fails_before_writing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope");
        let err = link_new(&missing, &missing.join("Note.md"), b"x").expect_err("no folder");
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
