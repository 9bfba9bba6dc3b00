//! The verdict on a document: whether enough of its pages could be read, whether image-only
//! pages explain missing text, and whether the text is worth summarizing (enough of it, words
//! not glued together, words rather than symbol soup). Pure logic over page counts and text.

use super::load::PageText;
use super::{Extracted, Quality, Rejection, short_detail};

/// Below this many non-whitespace characters (about 70 words, shorter than an abstract) there is
/// nothing worth summarizing, whatever the page count.
const MIN_CHARS: usize = 400;

/// The fixtures with text average 2,480–3,560 non-whitespace characters per page, 1,950 for the
/// sparsest (17, a scanned page with OCR layer and formulas). Below 200 per page most pages have
/// no text layer, so a summary would be built on a fragment.
const MIN_CHARS_PER_PAGE: f64 = 200.0;

/// Mean characters per whitespace-separated token. Prose averages 5–6 (punctuation included):
/// pdf-extract's text of the fixtures measures 4.6–6.0, pdftotext's 4.9–6.0. Glued words measure
/// far above: lopdf's own `extract_text` on fixtures 07, 09 and 14 gives 281, 18 and 147. 10
/// leaves room for formula- and URL-heavy text while catching text with half its spaces lost.
const MAX_MEAN_WORD_LEN: f64 = 10.0;

/// Share of tokens that are plain words (letters only, apart from inner hyphens and apostrophes,
/// and surrounding punctuation). The fixture papers measure 0.89–0.94; the OCR layer of the
/// formula-heavy scan 17 only 0.51 (0.47 in pdftotext's text), yet it is usable text. Symbol soup
/// from fonts without a usable encoding, or binary decoded as text, measures far lower.
const MIN_WORDLIKE_SHARE: f64 = 0.4;

/// Rejects the document when most of its pages could not be read: what is left would be a
/// fragment. A minority of bad pages (a broken figure page) only costs those pages.
pub(super) fn check_unreadable_pages(texts: &[PageText]) -> Result<(), Rejection> {
    let failures: Vec<&String> = texts.iter().filter_map(|text| text.as_ref().err()).collect();
    match failures.first() {
        Some(first) if failures.len() * 2 > texts.len() => Err(Rejection::Damaged(short_detail(&format!(
            "{} of {} pages unreadable, {first}",
            failures.len(),
            texts.len()
        )))),
        _ => Ok(()),
    }
}

/// Final verdict on a document's text. Image-only pages explain missing text better than the
/// generic rejections, so they take precedence: when they are the majority, or when the text
/// is too thin anyway.
pub(super) fn assess(text: String, pages: usize, image_pages: usize) -> Result<Extracted, Rejection> {
    if image_pages * 2 > pages {
        return Err(Rejection::ImageOnly { pages: image_pages });
    }
    match judge(&text, pages) {
        Ok(quality) => Ok(Extracted { text, quality }),
        Err(Rejection::TooLittleText { .. }) if image_pages > 0 => Err(Rejection::ImageOnly { pages: image_pages }),
        Err(rejection) => Err(rejection),
    }
}

/// Measures normalized `text` from a document of `pages` pages and rejects text that is not
/// worth summarizing.
///
/// In order: [`Rejection::TooLittleText`] below 400 non-whitespace characters in total or 200
/// per page; [`Rejection::Glued`] when tokens average more than 10 characters;
/// [`Rejection::Junk`] when fewer than 40% of the tokens look like words. The constants in this
/// module document how these thresholds relate to the fixture measurements.
pub fn judge(text: &str, pages: usize) -> Result<Quality, Rejection> {
    let quality = measure(text, pages);
    if quality.chars < MIN_CHARS || quality.chars_per_page < MIN_CHARS_PER_PAGE {
        return Err(Rejection::TooLittleText {
            chars: quality.chars,
            pages,
        });
    }
    if quality.mean_word_len > MAX_MEAN_WORD_LEN {
        return Err(Rejection::Glued);
    }
    if quality.wordlike_share < MIN_WORDLIKE_SHARE {
        return Err(Rejection::Junk(format!(
            "only {:.0}% of tokens look like words",
            quality.wordlike_share * 100.0
        )));
    }
    Ok(quality)
}

fn measure(text: &str, pages: usize) -> Quality {
    let (mut tokens, mut chars, mut wordlike) = (0usize, 0usize, 0usize);
    for token in text.split_whitespace() {
        tokens += 1;
        chars += token.chars().count();
        wordlike += usize::from(is_wordlike(token));
    }
    Quality {
        pages,
        chars,
        chars_per_page: chars as f64 / pages.max(1) as f64,
        mean_word_len: ratio(chars, tokens),
        wordlike_share: ratio(wordlike, tokens),
    }
}

/// `part / whole`, or 0 for an empty whole (keeps metrics finite, hence serializable).
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// A token that is a word once surrounding punctuation is stripped: letters, with hyphens or
/// apostrophes only between letters ("state-of-the-art", "don't").
fn is_wordlike(token: &str) -> bool {
    let core = token.trim_matches(|c: char| !c.is_alphanumeric());
    !core.is_empty()
        && core
            .split(['-', '\'', '’'])
            .all(|part| !part.is_empty() && part.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::text::prose;

    #[test]
    fn most_pages_unreadable_is_damaged_and_a_minority_is_not() {
        let page = |text: &str| -> PageText { Ok(text.to_owned()) };
        let broken = |number: u32| -> PageText { Err(format!("page {number}: bad font")) };
        assert_eq!(check_unreadable_pages(&[page("a"), broken(2)]), Ok(()));
        assert_eq!(
            check_unreadable_pages(&[broken(1), page("b"), broken(3)]),
            Err(Rejection::Damaged("2 of 3 pages unreadable, page 1: bad font".into()))
        );
    }

    #[test]
    fn image_pages_explain_missing_text_before_other_verdicts() {
        assert_eq!(assess(prose(), 3, 2), Err(Rejection::ImageOnly { pages: 2 }));
        assert_eq!(
            assess("Title only".into(), 3, 1),
            Err(Rejection::ImageOnly { pages: 1 })
        );
        assert_eq!(
            assess("Title only".into(), 3, 0),
            Err(Rejection::TooLittleText { chars: 9, pages: 3 })
        );
        let accepted = assess(prose(), 2, 1).expect("text on the other page is enough");
        assert_eq!((accepted.text, accepted.quality.pages), (prose(), 2));
    }

    #[test]
    fn judge_accepts_prose() {
        let quality = judge(&prose(), 1).expect("prose is accepted");
        assert_eq!(quality.pages, 1);
        assert_eq!(quality.chars, prose().chars().filter(|c| !c.is_whitespace()).count());
        assert!((4.0..7.0).contains(&quality.mean_word_len), "{quality:?}");
        assert!(quality.wordlike_share > 0.9, "{quality:?}");
    }

    #[test]
    fn judge_rejects_glued_words() {
        assert_eq!(judge(&prose().replace(' ', ""), 1), Err(Rejection::Glued));
    }

    #[test]
    fn judge_rejects_too_little_text() {
        let chars = prose().chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(judge(&prose(), 10), Err(Rejection::TooLittleText { chars, pages: 10 }));
        assert_eq!(
            judge("Title only", 1),
            Err(Rejection::TooLittleText { chars: 9, pages: 1 })
        );
    }

    #[test]
    fn judge_rejects_symbol_soup() {
        let soup = "§¶ 12 %% #3 4.5 @@ ∑∂ (7) == +1 <> ".repeat(30);
        assert!(matches!(judge(&soup, 1), Err(Rejection::Junk(_))));
    }
}
