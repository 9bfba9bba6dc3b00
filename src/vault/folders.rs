//! Where refnet's files live inside the vault: one folder per kind of note, the
//! bibliography, PDFs. Every stage that writes into the vault takes its paths from here.

/// Paper notes.
pub const PAPERS_DIR: &str = "refnet/papers";
/// Author notes.
pub const AUTHORS_DIR: &str = "refnet/authors";
/// Crawl index notes.
pub const CRAWLS_DIR: &str = "refnet/crawls";
/// Canvas maps.
pub const MAPS_DIR: &str = "refnet/maps";
/// Cluster notes.
pub const CLUSTERS_DIR: &str = "refnet/clusters";
/// Where what's-new notes go.
pub const NEWS_DIR: &str = "refnet/news";
/// The vault's bibliography.
pub const BIB_PATH: &str = "refnet/references.bib";

/// Folder of kept PDFs, inside the vault's state folder.
pub const PDF_DIR: &str = ".refnet/pdf";
/// Folder of PDFs kept as attachments (`--save-pdfs`).
pub const ATTACHMENTS_DIR: &str = "refnet/attachments";
