//! The vault on disk, below every stage that writes into it (summarize keeps PDFs here,
//! render writes notes): checks before anything is written, atomic writes (Obsidian
//! watches the folder), careful reads (a note that is not UTF-8 or is huge is never
//! overwritten), and finding notes the user moved or renamed by their `s2_id`.
//!
//! - [`name`]: note file names safe on every OS and inside wikilinks ([`NoteName`]).
//! - [`key`]: which note a note is ([`NoteKey`]), whatever its name or place.
//! - [`folders`]: where each kind of file lives.
//! - [`frontmatter`]: YAML values as refnet writes them.
//! - [`merge`]: a fresh rendering merged into an existing note, keeping the user's text.
//! - [`write`]: notes located, merged and written only when their text changes.

mod files;
pub mod folders;
pub mod frontmatter;
pub mod inputs;
pub mod key;
pub mod merge;
pub mod name;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use key::NoteKey;
use merge::frontmatter_value;

pub use files::Creation;
#[cfg(target_os = "linux")]
use files::link_new;
use files::{stamp_of, unique_suffix};
pub use name::NoteName;

/// Notes larger than this are left alone: refnet never writes one that size, so it is
/// the user's, or something else entirely.
pub const MAX_NOTE_BYTES: u64 = 4 * 1024 * 1024;

/// A vault problem a user must fix.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The path names a file.
    #[error("the vault path {0} is a file, not a folder: pass --vault DIR (or set REFNET_VAULT) naming a folder")]
    IsFile(PathBuf),
    /// Cannot create or write into the folder.
    #[error("cannot write into the vault folder {path} ({reason}): choose a writable folder with --vault")]
    NotWritable {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A write failed midway.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What reading a note gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// No file.
    Missing,
    /// The text.
    Text(String),
    /// Not readable as a note; never overwritten.
    Unreadable(String),
}

/// An opened vault folder.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    /// A folder above the root holds `.obsidian/`: the root is inside another vault.
    pub inside_other_vault: bool,
    /// The root itself holds `.obsidian/` (an existing vault).
    pub has_obsidian_dir: bool,
}

impl Vault {
    /// Checks the folder (creating it when missing) before anything else is written.
    pub fn open(root: &Path) -> Result<Self, VaultError> {
        if root.exists() && !root.is_dir() {
            return Err(VaultError::IsFile(root.to_owned()));
        }
        let not_writable = |e: std::io::Error| VaultError::NotWritable {
            path: root.to_owned(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(root).map_err(not_writable)?;
        let probe = root.join(format!(".refnet-write-check-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(not_writable)?;
        let _ = std::fs::remove_file(&probe);
        let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        let inside_other_vault = absolute.ancestors().skip(1).any(|a| a.join(".obsidian").is_dir());
        Ok(Self {
            has_obsidian_dir: root.join(".obsidian").is_dir(),
            inside_other_vault,
            root: root.to_owned(),
        })
    }

    /// The vault folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a vault-relative path (`/` separators), refusing any path
    /// that would leave the vault.
    pub fn path_of(&self, rel: &str) -> Option<PathBuf> {
        let rel_path = Path::new(rel);
        let safe = rel_path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        (safe && !rel.is_empty()).then(|| self.root.join(rel_path))
    }

    /// Reads a note for merging.
    pub fn read(&self, rel: &str) -> Existing {
        let Some(path) = self.path_of(rel) else {
            return Existing::Unreadable(format!("{rel} is outside the vault"));
        };
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Missing,
            Err(e) => return Existing::Unreadable(e.to_string()),
            Ok(m) if !m.is_file() => return Existing::Unreadable("not a regular file".to_owned()),
            Ok(m) if m.len() > MAX_NOTE_BYTES => {
                return Existing::Unreadable(format!("{} bytes, more than a note refnet writes", m.len()));
            }
            Ok(_) => {}
        }
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Existing::Text(text),
                Err(_) => Existing::Unreadable("not valid UTF-8".to_owned()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Existing::Missing,
            Err(e) => Existing::Unreadable(e.to_string()),
        }
    }

    /// Removes a file refnet wrote when it still holds exactly what refnet wrote (its
    /// hash is `written`); a file someone edited, or one whose content refnet does not
    /// know, stays. Returns whether the file is gone (removed now, or already missing).
    pub fn remove_if_unchanged(&self, rel: &str, written: Option<&str>) -> Result<bool, VaultError> {
        let Some(path) = self.path_of(rel) else {
            return Ok(false);
        };
        match self.read(rel) {
            Existing::Missing => Ok(true),
            Existing::Text(text) if Some(write::hash(&text).as_str()) == written => match std::fs::remove_file(&path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
                Err(source) => Err(VaultError::Write { path, source }),
            },
            _ => Ok(false),
        }
    }

    /// Writes a file atomically: a hidden temp file in the same folder, then a rename,
    /// so Obsidian never sees half a note.
    pub fn write(&self, rel: &str, content: &str) -> Result<(), VaultError> {
        self.write_bytes(rel, content.as_bytes())
    }

    /// Writes bytes atomically, as [`Vault::write`] does text.
    pub fn write_bytes(&self, rel: &str, content: &[u8]) -> Result<(), VaultError> {
        self.write_parts(rel, &[content])
    }

    /// Writes the concatenation of `parts` atomically, as [`Vault::write`] does text, without
    /// joining them in memory first.
    pub fn write_parts(&self, rel: &str, parts: &[&[u8]]) -> Result<(), VaultError> {
        let path = self.path_of(rel).ok_or_else(|| VaultError::Write {
            path: PathBuf::from(rel),
            source: std::io::Error::other("path leaves the vault"),
        })?;
        let err = |source| VaultError::Write {
            path: path.clone(),
            source,
        };
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(err)?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // A name of its own per write: two processes writing one vault (a refresh while a
        // service renders) never share a temporary file.
        let tmp = dir.join(format!(".{file_name}.{}.refnet-tmp", unique_suffix()));
        let mut f = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp).map_err(err)?);
        for part in parts {
            f.write_all(part).map_err(err)?;
        }
        f.flush().map_err(err)?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
    }

    /// A file's size and modification time (`size:nanoseconds`), or `None` when there is
    /// no file: what tells, without reading it, that nobody touched it since.
    pub fn stamp(&self, rel: &str) -> Option<String> {
        stamp_of(&std::fs::metadata(self.path_of(rel)?).ok()?)
    }

    /// Whether a file (or anything) is at a vault-relative path.
    pub fn exists(&self, rel: &str) -> bool {
        self.path_of(rel).is_some_and(|p| p.exists())
    }

    /// Whether the file holds exactly `content` (read only when the sizes agree).
    pub fn same_content(&self, rel: &str, content: &[u8]) -> bool {
        self.same_parts(rel, &[content])
    }

    /// [`Vault::same_content`] for the concatenation of `parts`, read a block at a time.
    pub fn same_parts(&self, rel: &str, parts: &[&[u8]]) -> bool {
        let Some(path) = self.path_of(rel) else { return false };
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let file = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() == len as u64 => std::fs::File::open(&path),
            _ => return false,
        };
        let Ok(file) = file else { return false };
        let mut file = std::io::BufReader::with_capacity(1 << 16, file);
        let mut buf = vec![0; 1 << 16];
        for part in parts {
            let mut part: &[u8] = part;
            while !part.is_empty() {
                let n = part.len().min(buf.len());
                if std::io::Read::read_exact(&mut file, &mut buf[..n]).is_err() || buf[..n] != part[..n] {
                    return false;
                }
                part = &part[n..];
            }
        }
        // Nothing may follow (the file could have grown since its size was read).
        std::io::Read::read(&mut file, &mut buf[..1]).is_ok_and(|n| n == 0)
    }

    /// Creates a file that is not there yet, atomically, and never over one that appeared
    /// in the meantime (the user's): [`Creation::Existed`] then, with nothing written.
    ///
    /// On Linux the text goes into an unnamed file that is linked into place whole
    /// (`O_TMPFILE` + `linkat`): one change to the folder instead of a temp file's two,
    /// and `linkat` refuses to replace anything. Elsewhere, or where the filesystem cannot
    /// do that, it is a [`Vault::write`].
    pub fn create(&self, rel: &str, content: &str) -> Result<Creation, VaultError> {
        if let Some(created) = self.create_linked(rel, content) {
            return Ok(created);
        }
        self.write(rel, content)?;
        Ok(Creation::Created(self.stamp(rel)))
    }

    /// [`Vault::create`] the `O_TMPFILE` + `linkat` way only, which can never replace a
    /// file: `None` where that way is not there (not Linux, a filesystem without it) or
    /// failed.
    pub fn create_linked(&self, rel: &str, content: &str) -> Option<Creation> {
        #[cfg(target_os = "linux")]
        if let Some(path) = self.path_of(rel)
            && let Some(dir) = path.parent()
        {
            // The folder is made only when it is missing: a stat of it per note was a
            // system call per note for nothing.
            let linked = match link_new(dir, &path, content.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::create_dir_all(dir).is_ok() => {
                    link_new(dir, &path, content.as_bytes())
                }
                other => other,
            };
            match linked {
                Ok(created) => return Some(created),
                Err(e) => tracing::trace!(error = %e, "no O_TMPFILE here: a temp file and a rename"),
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (rel, content);
        None
    }

    /// Every Markdown file in the vault (outside hidden folders), vault-relative.
    pub fn markdown_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let Ok(kind) = entry.file_type() else { continue };
                let path = entry.path();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file()
                    && name.ends_with(".md")
                    && let Some(rel) = self.relative(&path)
                {
                    out.push(rel);
                }
            }
        }
        out.sort();
        out
    }

    /// Lower-cased basenames (without `.md`) of every note in the vault.
    pub fn basenames(&self) -> HashSet<String> {
        self.markdown_files()
            .iter()
            .filter_map(|rel| rel.rsplit('/').next())
            .map(|name| name.trim_end_matches(".md").to_lowercase())
            .collect()
    }

    /// Where each note carrying one of `keys` in its frontmatter is, as `key:value` →
    /// path: how notes the user moved or renamed are found again.
    pub fn notes_by_identity(&self, keys: &[&str]) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for rel in self.markdown_files() {
            let Existing::Text(text) = self.read(&rel) else {
                continue;
            };
            for key in keys {
                if let Some(value) = frontmatter_value(&text, key) {
                    out.entry(format!("{key}:{value}")).or_insert_with(|| rel.clone());
                }
            }
        }
        out
    }

    fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_refused_as_a_vault_and_nothing_is_written_next_to_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("vault");
        std::fs::write(&file, "x").expect("write");
        let err = Vault::open(&file).expect_err("refused");
        assert!(err.to_string().contains("is a file"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn paths_that_leave_the_vault_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        assert!(v.path_of("../x.md").is_none());
        assert!(v.path_of("/etc/passwd").is_none());
        assert!(v.path_of("a/../../x.md").is_none());
        assert!(v.path_of("refnet/papers/A.md").is_some());
        assert!(v.write("../escape.md", "x").is_err());
    }

    #[test]
    fn writes_are_whole_and_unreadable_notes_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        v.write("refnet/papers/A.md", "hello").expect("write");
        assert_eq!(v.read("refnet/papers/A.md"), Existing::Text("hello".to_owned()));
        assert_eq!(v.read("refnet/papers/B.md"), Existing::Missing);
        std::fs::write(dir.path().join("bad.md"), [0xff, 0xfe, 0x00]).expect("write");
        assert!(matches!(v.read("bad.md"), Existing::Unreadable(_)));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("refnet/papers"))
            .expect("ls")
            .flatten()
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[test]
    fn text_in_parts_is_written_and_compared_as_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        // Parts smaller and larger than a read block, and empty ones.
        let long = "é".repeat(70_000);
        let parts: [&[u8]; 5] = [b"head\n", b"", long.as_bytes(), b"\n", b"tail"];
        v.write_parts("refnet/references.bib", &parts).expect("write");
        let whole = parts.concat();
        assert_eq!(
            std::fs::read(dir.path().join("refnet/references.bib")).expect("read"),
            whole
        );
        assert!(v.same_parts("refnet/references.bib", &parts));
        assert!(v.same_content("refnet/references.bib", &whole));
        // One byte different deep inside, the same length: not the same.
        let mut changed = whole.clone();
        changed[40_000] ^= 1;
        assert!(!v.same_parts("refnet/references.bib", &[&changed[..10], &changed[10..]]));
        assert!(!v.same_parts("refnet/references.bib", &parts[..4]));
        assert!(!v.same_parts("refnet/missing.bib", &[]));
    }

    #[test]
    fn files_larger_than_a_note_are_still_compared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        let big = "x".repeat(MAX_NOTE_BYTES as usize + 10);
        v.write("refnet/references.bib", &big).expect("write");
        assert!(v.same_content("refnet/references.bib", big.as_bytes()));
        assert!(!v.same_content("refnet/references.bib", &big.as_bytes()[1..]));
        assert!(!v.same_content("refnet/missing.bib", b""));
    }

    #[test]
    fn create_makes_new_files_whole_and_never_replaces_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        assert!(v.create("refnet/papers/New.md", "fresh").expect("create").created());
        assert_eq!(v.read("refnet/papers/New.md"), Existing::Text("fresh".to_owned()));
        std::fs::write(dir.path().join("refnet/papers/Theirs.md"), "the user's").expect("write");
        assert_eq!(
            v.create("refnet/papers/Theirs.md", "refnet's").expect("create"),
            Creation::Existed
        );
        assert_eq!(
            v.read("refnet/papers/Theirs.md"),
            Existing::Text("the user's".to_owned())
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("refnet/papers"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["New.md", "Theirs.md"], "no temporary files are left");
    }

    #[test]
    fn moved_notes_are_found_by_their_s2_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let v = Vault::open(dir.path()).expect("open");
        v.write("elsewhere/Renamed.md", "---\ns2_id: \"abc\"\n---\n")
            .expect("write");
        v.write(".obsidian/ignored.md", "---\ns2_id: \"hidden\"\n---\n")
            .expect("write");
        let found = v.notes_by_identity(&["s2_id"]);
        assert_eq!(found.get("s2_id:abc").map(String::as_str), Some("elsewhere/Renamed.md"));
        assert!(!found.contains_key("s2_id:hidden"));
        assert!(v.basenames().contains("renamed"));
    }
}
