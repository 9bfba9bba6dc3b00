//! The file formats render writes besides Markdown notes: BibTeX ([`bib`]), JSON Canvas
//! ([`canvas`]), the escaping of untrusted text for Markdown ([`escape`]), and how
//! people's names are cited ([`person`]).

pub mod bib;
pub mod canvas;
pub mod escape;
pub mod person;
