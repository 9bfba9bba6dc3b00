//! Author names: S2 gives one string per author ("Ashish Vaswani"); surnames are split
//! here (particles such as "van der" stay with the surname), for "Vaswani et al. 2017"
//! display text and for citekeys.

const PARTICLES: [&str; 24] = [
    "van", "von", "der", "den", "de", "del", "della", "degli", "di", "da", "du", "la", "le", "ter", "ten", "dos",
    "das", "do", "bin", "ibn", "al", "el", "zu", "af",
];
const SUFFIXES: [&str; 8] = ["jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd"];

/// The surname of a full name: the last word, with lower-case particles before it.
pub fn surname(full: &str) -> String {
    let mut tokens: Vec<&str> = full
        .split_whitespace()
        .map(|t| t.trim_end_matches(','))
        .filter(|t| !t.is_empty())
        .collect();
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| SUFFIXES.contains(&t.to_lowercase().as_str()))
    {
        tokens.pop();
    }
    if tokens.len() <= 1 {
        return tokens.first().map(|t| (*t).to_owned()).unwrap_or_default();
    }
    let mut start = tokens.len() - 1;
    while start > 1 && PARTICLES.contains(&tokens[start - 1]) {
        start -= 1;
    }
    tokens[start..].join(" ")
}

/// "Vaswani et al. 2017", "Lo and Wang 2020", "Turing 1950", without the year when it
/// is unknown; "Anonymous" without authors.
pub fn short_cite(authors: &[String], year: Option<i64>) -> String {
    let first = authors.first().map(|a| surname(a));
    let second = authors.get(1).map(|a| surname(a));
    cite_of_surnames(first.as_deref(), second.as_deref(), authors.len(), year)
}

/// [`short_cite`] from the surnames of the first two of `count` authors.
pub fn cite_of_surnames(first: Option<&str>, second: Option<&str>, count: usize, year: Option<i64>) -> String {
    // Made once per link of every note (millions in a large render): one allocation.
    let (a, b) = match (first, count) {
        (None, _) | (_, 0) => ("Anonymous", None),
        (Some(a), _) => (a, second.filter(|_| count > 1)),
    };
    let mut out = String::with_capacity(a.len() + b.map_or(0, str::len) + 16);
    out.push_str(a);
    match (b, count) {
        (Some(b), 2) => {
            out.push_str(" and ");
            out.push_str(b);
        }
        (Some(_), _) => out.push_str(" et al."),
        (None, _) => {}
    }
    if let Some(y) = year {
        use std::fmt::Write as _;
        let _ = write!(out, " {y}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surnames_keep_their_particles_and_drop_suffixes() {
        assert_eq!(surname("Ashish Vaswani"), "Vaswani");
        assert_eq!(surname("Ludwig van Beethoven"), "van Beethoven");
        assert_eq!(surname("Jean de la Fontaine"), "de la Fontaine");
        assert_eq!(surname("Martin Luther King Jr."), "King");
        assert_eq!(surname("Plato"), "Plato");
        assert_eq!(surname("  "), "");
    }

    #[test]
    fn short_cites_follow_the_author_count() {
        let names = |n: &[&str]| n.iter().map(std::string::ToString::to_string).collect::<Vec<_>>();
        assert_eq!(short_cite(&names(&["A. Turing"]), Some(1950)), "Turing 1950");
        assert_eq!(
            short_cite(&names(&["Kyle Lo", "Lucy Lu Wang"]), Some(2020)),
            "Lo and Wang 2020"
        );
        assert_eq!(
            short_cite(&names(&["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]), Some(2017)),
            "Vaswani et al. 2017"
        );
        assert_eq!(short_cite(&[], None), "Anonymous");
    }
}
