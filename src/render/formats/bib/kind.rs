//! Which entry type a paper gets, and which fields each type carries, so that every entry
//! is valid in biblatex's data model (what `biber --tool --validate-datamodel` checks):
//!
//! | type | required | carries |
//! |---|---|---|
//! | `@article` | author, title, journal, year/date | volume, pages |
//! | `@inproceedings` | author, title, booktitle, year/date | volume, pages |
//! | `@book` | author, title, year/date | |
//! | `@misc` | title, year/date | howpublished |
//!
//! All carry doi, url, and eprint with `archivePrefix` (biber maps it to `eprinttype`;
//! writing both makes it warn). `volume` must be an integer for biblatex.

use crate::render::formats::venue;

/// The BibTeX entry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A paper in proceedings.
    InProceedings,
    /// A journal article.
    Article,
    /// A book.
    Book,
    /// Anything else: preprints, reports, datasets, papers without authors.
    Misc,
}

impl EntryKind {
    /// The type as written after `@`.
    pub fn name(self) -> &'static str {
        match self {
            Self::InProceedings => "inproceedings",
            Self::Article => "article",
            Self::Book => "book",
            Self::Misc => "misc",
        }
    }

    /// The field that names where the paper appeared, if the type has one.
    pub fn container_field(self) -> Option<&'static str> {
        match self {
            Self::Article => Some("journal"),
            Self::InProceedings => Some("booktitle"),
            Self::Misc => Some("howpublished"),
            Self::Book => None,
        }
    }

    /// Whether the type carries `volume` and `pages` (a `@misc` never does).
    pub fn carries_volume_and_pages(self) -> bool {
        matches!(self, Self::Article | Self::InProceedings)
    }

    /// The fields an entry of this type must have besides title and year/date.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Self::Article => &["author", "journal"],
            Self::InProceedings => &["author", "booktitle"],
            Self::Book => &["author"],
            Self::Misc => &[],
        }
    }
}

/// An entry's type and the name of where it appeared (journal, proceedings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement<'a> {
    /// The type.
    pub kind: EntryKind,
    /// The value of [`EntryKind::container_field`], if there is one to give.
    pub container: Option<&'a str>,
}

/// The type of a paper's entry, from what is known (first rule that applies):
///
/// 1. no author → `@misc` (every other type requires one);
/// 2. a conference (S2 type `Conference`, a journal or venue named as a conference,
///    workshop, symposium or meeting, or as proceedings unless S2 calls it a journal
///    article: PNAS is a journal) with a name → `@inproceedings`, booktitle the
///    proceedings' name, else the journal's, else the venue;
/// 3. a journal name (not a preprint server's) → `@article` with it;
/// 4. S2 type `JournalArticle` or `Review` and a venue → `@article` with the venue;
/// 5. S2 type `Book` → `@book`;
/// 6. anything else (a preprint known only by its arXiv id, a dataset) → `@misc`, with
///    the venue as `howpublished` when there is a real one.
pub fn place<'a>(
    types: &[String],
    journal: Option<&'a str>,
    venue: Option<&'a str>,
    has_author: bool,
) -> Placement<'a> {
    let has = |name: &str| types.iter().any(|t| t.trim().eq_ignore_ascii_case(name));
    let (journal, venue) = (venue::real(journal), venue::real(venue));
    let names = [journal, venue];
    let named = names.iter().flatten().copied();
    let called_journal = has("JournalArticle") || has("Review");
    let conference = has("Conference")
        || named.clone().any(venue::is_event)
        || (!called_journal && named.clone().any(venue::is_proceedings));
    let misc = Placement {
        kind: EntryKind::Misc,
        container: journal.or(venue),
    };
    if !has_author {
        return misc;
    }
    let proceedings = named.clone().find(|n| venue::is_proceedings(n));
    match (conference, journal, venue) {
        (true, Some(_), _) | (true, None, Some(_)) => Placement {
            kind: EntryKind::InProceedings,
            container: proceedings.or(journal).or(venue),
        },
        (false, Some(name), _) => Placement {
            kind: EntryKind::Article,
            container: Some(name),
        },
        (false, None, Some(name)) if called_journal => Placement {
            kind: EntryKind::Article,
            container: Some(name),
        },
        _ if has("Book") => Placement {
            kind: EntryKind::Book,
            container: None,
        },
        _ => misc,
    }
}

/// A volume as biblatex wants it, an integer: digits as they are, a Roman numeral as its
/// value (Mind's volume `LIX` → `59`); `None` for anything else (S2 gives arXiv papers the
/// volume `abs/1706.03762`).
pub fn volume_number(volume: &str) -> Option<u32> {
    let v = volume.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().ok().filter(|n| *n > 0);
    }
    roman(v)
}

/// The value of a Roman numeral written the usual way (`XIV`, `lix`), or `None`.
fn roman(s: &str) -> Option<u32> {
    if s != s.to_ascii_uppercase() && s != s.to_ascii_lowercase() {
        return None;
    }
    let value = |c: char| match c.to_ascii_uppercase() {
        'I' => Some(1),
        'V' => Some(5),
        'X' => Some(10),
        'L' => Some(50),
        'C' => Some(100),
        'D' => Some(500),
        'M' => Some(1000),
        _ => None,
    };
    let digits: Vec<u32> = s.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0;
    for (i, d) in digits.iter().enumerate() {
        match digits.get(i + 1) {
            Some(next) if next > d => total -= *d as i64,
            _ => total += *d as i64,
        }
    }
    let total = u32::try_from(total).ok().filter(|n| *n > 0)?;
    // Only the usual spelling: "IIII" or "IC" are not numerals anyone writes.
    (to_roman(total).eq_ignore_ascii_case(s)).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (v, s) in TABLE {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

/// The date field for a year: `year` for years 1–9999; biblatex's `date` (EDTF) for
/// years up to 0 (`-0375`); and `date = {XXXX}`, EDTF's "year unknown", when there is no
/// year, since every type requires a date.
pub fn date_field(year: Option<i64>) -> (&'static str, String) {
    match year {
        Some(y @ 1..=9999) => ("year", y.to_string()),
        Some(y @ -9999..=0) => ("date", format!("-{:04}", -y).replace("-0000", "0000")),
        _ => ("date", "XXXX".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn placed<'a>(t: &[&str], journal: Option<&'a str>, venue: Option<&'a str>) -> (EntryKind, Option<&'a str>) {
        let p = place(&types(t), journal, venue, true);
        (p.kind, p.container)
    }

    #[test]
    fn rule_1_a_paper_without_authors_is_misc() {
        let p = place(&types(&["JournalArticle"]), Some("Nature"), None, false);
        assert_eq!((p.kind, p.container), (EntryKind::Misc, Some("Nature")));
    }

    #[test]
    fn rule_2_conferences_are_inproceedings_with_the_proceedings_name() {
        // Vaswani et al. as S2 records it: types say Conference, journal is "ArXiv".
        assert_eq!(
            placed(
                &["JournalArticle", "Conference"],
                Some("ArXiv"),
                Some("Neural Information Processing Systems")
            ),
            (EntryKind::InProceedings, Some("Neural Information Processing Systems"))
        );
        // No types, but the venue names a conference; the proceedings' name wins.
        assert_eq!(
            placed(&[], Some("Proceedings of the 2019 Conference of NAACL"), Some("NAACL")),
            (
                EntryKind::InProceedings,
                Some("Proceedings of the 2019 Conference of NAACL")
            )
        );
        assert_eq!(
            placed(
                &[],
                None,
                Some("Annual Meeting of the Association for Computational Linguistics")
            )
            .0,
            EntryKind::InProceedings
        );
        assert_eq!(
            placed(&[], Some("Proc. ACM Workshop"), None).0,
            EntryKind::InProceedings
        );
        // A conference without any name has no booktitle: not @inproceedings.
        assert_eq!(placed(&["Conference"], Some("ArXiv"), None).0, EntryKind::Misc);
    }

    #[test]
    fn rule_3_a_journal_name_makes_an_article() {
        // Turing 1950 as S2 records it: the journal, not S2's venue.
        assert_eq!(
            placed(
                &["JournalArticle", "Review"],
                Some("Mind"),
                Some("The Philosophy of Artificial Intelligence")
            ),
            (EntryKind::Article, Some("Mind"))
        );
        // Without publication types.
        assert_eq!(placed(&[], Some("Mind"), None), (EntryKind::Article, Some("Mind")));
        // PNAS is a journal, though its name says proceedings.
        assert_eq!(
            placed(
                &["JournalArticle"],
                Some("Proceedings of the National Academy of Sciences"),
                None
            )
            .0,
            EntryKind::Article
        );
    }

    #[test]
    fn rule_4_a_journal_article_known_by_its_venue_is_an_article() {
        assert_eq!(
            placed(&["Review"], None, Some("Nature")),
            (EntryKind::Article, Some("Nature"))
        );
        // Without the types a bare venue could be anything.
        assert_eq!(placed(&[], None, Some("NeurIPS")), (EntryKind::Misc, Some("NeurIPS")));
    }

    #[test]
    fn rule_5_books_are_books() {
        assert_eq!(placed(&["Book"], None, None), (EntryKind::Book, None));
    }

    #[test]
    fn rule_6_a_preprint_is_misc_without_its_server_as_venue() {
        assert_eq!(placed(&[], Some("ArXiv"), Some("arXiv.org")), (EntryKind::Misc, None));
        assert_eq!(
            placed(&["JournalArticle"], Some("ArXiv"), None),
            (EntryKind::Misc, None)
        );
        assert_eq!(placed(&["Dataset"], None, None), (EntryKind::Misc, None));
        assert_eq!(placed(&["BookSection"], None, Some("  ")), (EntryKind::Misc, None));
    }

    #[test]
    fn an_article_always_has_a_journal_and_inproceedings_a_booktitle() {
        let names = [
            None,
            Some("Mind"),
            Some("ArXiv"),
            Some("Proc. X"),
            Some(" "),
            Some("\u{7}"),
            Some("IEEE Symposium"),
        ];
        let kinds = [
            &[][..],
            &["JournalArticle"],
            &["Conference"],
            &["Review", "Book"],
            &["Book"],
        ];
        for t in kinds {
            for journal in names {
                for venue in names {
                    for has_author in [true, false] {
                        let p = place(&types(t), journal, venue, has_author);
                        if p.kind != EntryKind::Misc {
                            assert!(has_author, "{t:?} {journal:?} {venue:?}");
                        }
                        if matches!(p.kind, EntryKind::Article | EntryKind::InProceedings) {
                            let shown = |c: &str| c.chars().any(|ch| !ch.is_whitespace() && !ch.is_control());
                            assert!(p.container.is_some_and(shown), "{t:?} {journal:?} {venue:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn volumes_are_integers() {
        assert_eq!(volume_number("30"), Some(30));
        assert_eq!(volume_number(" LIX "), Some(59));
        assert_eq!(volume_number("xiv"), Some(14));
        assert_eq!(volume_number("MCMXCIX"), Some(1999));
        assert_eq!(volume_number("abs/1706.03762"), None);
        assert_eq!(volume_number("IIII"), None);
        assert_eq!(volume_number("0"), None);
        assert_eq!(volume_number("12(3)"), None);
        assert_eq!(volume_number(""), None);
        assert_eq!(volume_number("Civ"), None);
    }

    #[test]
    fn every_entry_gets_a_date() {
        assert_eq!(date_field(Some(2017)), ("year", "2017".to_owned()));
        assert_eq!(date_field(Some(-375)), ("date", "-0375".to_owned()));
        assert_eq!(date_field(Some(0)), ("date", "0000".to_owned()));
        assert_eq!(date_field(None), ("date", "XXXX".to_owned()));
        assert_eq!(date_field(Some(12345)), ("date", "XXXX".to_owned()));
    }
}
