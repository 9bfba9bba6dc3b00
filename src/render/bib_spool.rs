//! The BibTeX entries of the notes a render built, kept in an unlinked temporary file
//! until `references.bib` is written at the end: at 100,000 papers they are some 30 MB
//! of text the render has no use for meanwhile. Only each entry's citekey and place stay
//! in memory. The file loses its name as soon as it is opened, so the system removes it
//! when the render ends, however it ends.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::RenderError;
use super::book::BibEntry;

/// Entries spooled so far, by paper id.
#[derive(Debug)]
pub(super) struct BibSpool {
    file: BufWriter<File>,
    end: u64,
    entries: HashMap<String, Spooled>,
}

/// Where one entry's text is.
#[derive(Debug)]
struct Spooled {
    citekey: String,
    at: u64,
    len: usize,
}

impl BibSpool {
    /// An empty spool in the system's temporary folder (`TMPDIR`).
    pub(super) fn new() -> Result<Self, RenderError> {
        Self::in_dir(std::env::temp_dir())
    }

    /// An empty spool in `dir`.
    fn in_dir(dir: PathBuf) -> Result<Self, RenderError> {
        let file = unnamed_file(&dir).map_err(|source| RenderError::Spool { dir, source })?;
        Ok(Self {
            file: BufWriter::with_capacity(1 << 16, file),
            end: 0,
            entries: HashMap::new(),
        })
    }

    /// Room for `n` more papers' entries.
    pub(super) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
    }

    /// Keeps a paper's entry (a later one for the same paper replaces it).
    pub(super) fn add(&mut self, paper_id: String, (citekey, entry): BibEntry) -> Result<(), RenderError> {
        self.file.write_all(entry.as_bytes()).map_err(|e| self.failed(e))?;
        let at = self.end;
        self.end += entry.len() as u64;
        self.entries.insert(
            paper_id,
            Spooled {
                citekey,
                at,
                len: entry.len(),
            },
        );
        Ok(())
    }

    /// Takes a paper's entry out, when one was kept.
    pub(super) fn take(&mut self, paper_id: &str) -> Result<Option<BibEntry>, RenderError> {
        let Some(spooled) = self.entries.remove(paper_id) else {
            return Ok(None);
        };
        // Read one entry at a time, into the memory the notes just freed: reading the
        // whole file at once would take 30 MB more at 100,000 papers.
        let mut bytes = vec![0; spooled.len];
        read_at(&mut self.file, spooled.at, &mut bytes).map_err(|e| self.failed(e))?;
        let text = String::from_utf8(bytes).map_err(|e| self.failed(std::io::Error::other(e)))?;
        Ok(Some((spooled.citekey, text)))
    }

    fn failed(&self, e: std::io::Error) -> RenderError {
        RenderError::Spool {
            dir: std::env::temp_dir(),
            source: e,
        }
    }
}

/// Reads `buf.len()` bytes at `at`, after what the writer still holds. The file's
/// position, where the next entry is written, stays at its end: one `pread` an entry,
/// where a seek and a read took two calls (100,000 `lseek` calls at 100,000 papers).
fn read_at(file: &mut BufWriter<File>, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    file.flush()?;
    read_exact_at(file.get_ref(), at, buf)
}

#[cfg(unix)]
fn read_exact_at(file: &File, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

/// Elsewhere the position moves with the read: it is put back at the end.
#[cfg(not(unix))]
fn read_exact_at(mut file: &File, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf)?;
    file.seek(SeekFrom::End(0)).map(drop)
}

/// A new file in `dir` that no name points to: removed by the system once closed.
fn unnamed_file(dir: &std::path::Path) -> std::io::Result<File> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path: PathBuf = dir.join(format!(".refnet-bib-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_as_kept_and_only_once() {
        let mut spool = BibSpool::new().expect("spool");
        spool
            .add(
                "a".into(),
                ("KeyA".into(), "@article{KeyA,\n  title = {Ä},\n}\n".into()),
            )
            .expect("add");
        spool
            .add("b".into(), ("KeyB".into(), "@misc{KeyB}\n".into()))
            .expect("add");
        spool
            .add("a".into(), ("KeyA2".into(), "@misc{KeyA2}\n".into()))
            .expect("add");
        assert_eq!(
            spool.take("b").expect("take"),
            Some(("KeyB".to_owned(), "@misc{KeyB}\n".to_owned()))
        );
        spool
            .add("c".into(), ("KeyC".into(), "@misc{KeyC}\n".into()))
            .expect("add after a take");
        assert_eq!(
            spool.take("a").expect("take"),
            Some(("KeyA2".to_owned(), "@misc{KeyA2}\n".to_owned()))
        );
        assert_eq!(spool.take("a").expect("take"), None);
        assert_eq!(spool.take("c").expect("take").map(|e| e.0), Some("KeyC".to_owned()));
        assert_eq!(spool.take("nobody").expect("take"), None);
    }

    #[test]
    fn a_temporary_folder_that_is_not_one_is_named_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, "x").expect("write");
        let err = BibSpool::in_dir(file.clone()).expect_err("a file is no folder");
        let message = err.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("set TMPDIR"), "{message}");
        assert!(!message.contains('\n'), "one line: {message}");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("ls").count(),
            1,
            "nothing left behind"
        );
    }
}
