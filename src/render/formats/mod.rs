//! The file formats render writes besides Markdown notes: BibTeX ([`bib`]), JSON Canvas
//! ([`canvas`]), the Obsidian Bases file over the paper notes ([`base`]), the escaping of untrusted text for Markdown ([`escape`]), how people's
//! names are cited ([`person`]), and which name of a paper's venue is shown
//! ([`venue`]).

pub mod base;
pub mod bib;
pub mod canvas;
pub mod escape;
pub mod person;
pub mod venue;
