//! The shape of each kind of id, as pure string checks. Each returns the id's normal
//! form (`Some`) or `None` when the text does not have the shape.

/// `s` without what copy-paste brings along: surrounding whitespace, quotes and
/// brackets, and trailing sentence punctuation or closing brackets that open nowhere
/// (`(see 10.1000/182).` → `10.1000/182`).
pub(super) fn trim_paste(s: &str) -> &str {
    const PAIRS: [(char, char); 8] = [
        ('"', '"'),
        ('\'', '\''),
        ('`', '`'),
        ('<', '>'),
        ('(', ')'),
        ('[', ']'),
        ('\u{201c}', '\u{201d}'),
        ('\u{2018}', '\u{2019}'),
    ];
    let mut s = s.trim();
    loop {
        let before = s.len();
        for (open, close) in PAIRS {
            if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
                s = inner.trim();
            }
        }
        if let Some(last) = s.chars().next_back() {
            let unopened = |open: char| s.matches(open).count() < s.matches(last).count();
            let strip = match last {
                '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '\u{201d}' | '\u{2019}' | '\u{bb}' => true,
                ')' => unopened('('),
                ']' => unopened('['),
                '>' => unopened('<'),
                _ => false,
            };
            if strip {
                s = s[..s.len() - last.len_utf8()].trim_end();
            }
        }
        if let Some(first) = s.chars().next() {
            let unclosed = |close: char| s.matches(first).count() > s.matches(close).count();
            let strip = match first {
                '"' | '\'' | '\u{201c}' | '\u{2018}' | '\u{ab}' => true,
                '(' => unclosed(')'),
                '[' => unclosed(']'),
                '<' => unclosed('>'),
                _ => false,
            };
            if strip {
                s = s[first.len_utf8()..].trim_start();
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// Whether `s` starts with `http://` or `https://` (any case).
pub(super) fn has_http_scheme(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A 40-hex S2 paper id.
pub(super) fn is_s2_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Digits only, as a number.
pub(super) fn number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A DOI (`10.<registrant>/<suffix>`), percent-decoded and trimmed of copy-paste
/// leftovers.
pub(super) fn doi(s: &str) -> Option<String> {
    let decoded = if s.contains('%') {
        percent_encoding::percent_decode_str(s).decode_utf8().ok()?.into_owned()
    } else {
        s.to_owned()
    };
    let doi = trim_paste(&decoded);
    looks_like_doi(doi).then(|| doi.to_owned())
}

/// `10.<registrant>/<suffix>`: the registrant is digits (with inner dots), the suffix is
/// non-empty, and there is no whitespace.
fn looks_like_doi(s: &str) -> bool {
    let Some((registrant, suffix)) = s.strip_prefix("10.").and_then(|r| r.split_once('/')) else {
        return false;
    };
    registrant.starts_with(|c: char| c.is_ascii_digit())
        && !registrant.ends_with('.')
        && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !suffix.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `2106.15928v2` → `2106.15928`.
pub fn strip_arxiv_version(id: &str) -> &str {
    match id.rfind('v') {
        Some(i) if i > 0 && i + 1 < id.len() && id[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &id[..i],
        _ => id,
    }
}

/// An arXiv id without its version: new style `YYMM.NNNN(N)` or old style
/// `archive(.SUB)/YYMMNNN`, each with an optional `vN`.
pub(super) fn arxiv_id(s: &str) -> Option<String> {
    let base = strip_arxiv_version(s);
    if let Some((yymm, num)) = base.split_once('.')
        && yymm.len() == 4
        && yymm.bytes().all(|b| b.is_ascii_digit())
        && (4..=5).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(base.to_owned());
    }
    let (archive, num) = base.split_once('/')?;
    let (name, class) = archive.split_once('.').unwrap_or((archive, "x"));
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
    (word(name)
        && word(class)
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && num.len() == 7
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then(|| base.to_owned())
}

/// An OpenAlex work id, `W` and digits (normalised to an upper-case `W`).
pub(super) fn openalex_work(s: &str) -> Option<String> {
    let digits = s.strip_prefix(['W', 'w'])?;
    (!digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("W{digits}"))
}

/// A PMC id, `PMC` (any case) and digits.
pub(super) fn pmc(s: &str) -> Option<u64> {
    let prefix = s.get(..3)?;
    prefix.eq_ignore_ascii_case("pmc").then(|| number(&s[3..])).flatten()
}

/// ACL Anthology ids: `P19-1001`, `W12-3903`, `2020.acl-main.447`.
pub(super) fn is_acl(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}
