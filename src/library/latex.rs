//! BibTeX values (LaTeX) as plain text, for titles and names shown to the user: accents
//! (`\"u`, `{\'e}`, `\c{c}`) as Unicode, escaped specials as themselves, a few named
//! letters and symbols, `~` as a space, `--`/`---` as dashes, and the braces that
//! protect case dropped. Good enough to name an entry; not a TeX engine.

use unicode_normalization::UnicodeNormalization;

/// The combining mark of an accent command, by its name.
fn accent(name: &str) -> Option<char> {
    Some(match name {
        "'" => '\u{301}',
        "`" => '\u{300}',
        "^" => '\u{302}',
        "\"" => '\u{308}',
        "~" => '\u{303}',
        "=" => '\u{304}',
        "." => '\u{307}',
        "u" => '\u{306}',
        "v" => '\u{30c}',
        "H" => '\u{30b}',
        "r" => '\u{30a}',
        "c" => '\u{327}',
        "k" => '\u{328}',
        _ => return None,
    })
}

/// The text of a named command that stands for a letter or symbol.
fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "ss" => "ß",
        "o" => "ø",
        "O" => "Ø",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "aa" => "å",
        "AA" => "Å",
        "l" => "ł",
        "L" => "Ł",
        "i" => "i",
        "j" => "j",
        "textendash" => "–",
        "textemdash" => "—",
        "textbackslash" => "\\",
        "textbraceleft" => "{",
        "textbraceright" => "}",
        "textasciitilde" => "~",
        "textasciicircum" => "^",
        "textunderscore" => "_",
        "LaTeX" => "LaTeX",
        "TeX" => "TeX",
        _ => return None,
    })
}

/// `value` as plain text, whitespace collapsed.
pub(super) fn plain(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => i = command(&chars, i, &mut out),
            '{' | '}' | '$' => {}
            '~' => out.push(' '),
            '-' if chars.get(i) == Some(&'-') => {
                if chars.get(i + 1) == Some(&'-') {
                    out.push('—');
                    i += 2;
                } else {
                    out.push('–');
                    i += 1;
                }
            }
            c => out.push(c),
        }
    }
    let text: String = out.nfc().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the command after a backslash at `i`, writes what it stands for, and returns
/// the position after it.
fn command(chars: &[char], mut i: usize, out: &mut String) -> usize {
    let Some(&first) = chars.get(i) else {
        return i;
    };
    let name: String = if first.is_ascii_alphabetic() {
        chars[i..].iter().take_while(|c| c.is_ascii_alphabetic()).collect()
    } else {
        first.to_string()
    };
    i += name.chars().count();
    if let Some(mark) = accent(&name) {
        if first.is_ascii_alphabetic() {
            while chars.get(i).is_some_and(|c| *c == ' ') {
                i += 1;
            }
        }
        let (arg, next) = argument(chars, i);
        let base = plain(&arg);
        let mut letters = base.chars();
        if let Some(b) = letters.next() {
            out.push(if b == 'ı' { 'i' } else { b });
            out.push(mark);
            out.extend(letters);
        }
        return next;
    }
    if let Some(text) = symbol(&name) {
        out.push_str(text);
        // A named symbol ends at the space after it (`\ss e`), which is not text.
        if first.is_ascii_alphabetic() && chars.get(i) == Some(&' ') {
            i += 1;
        }
        return i;
    }
    if !first.is_ascii_alphabetic() {
        // `\&`, `\%`, `\_`, `\#`, `\$`, `\{`, `\}`, `\\`, `\ `.
        out.push(if first == '\\' { ' ' } else { first });
    }
    // Any other command (`\emph`, `\textit`, `\url`) is dropped; its argument stays.
    i
}

/// The argument at `i`: a braced group's content, or one character.
fn argument(chars: &[char], i: usize) -> (String, usize) {
    match chars.get(i) {
        Some('{') => {
            let mut depth = 0usize;
            for (j, &c) in chars.iter().enumerate().skip(i) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return (chars[i + 1..j].iter().collect(), j + 1);
                        }
                    }
                    _ => {}
                }
            }
            (chars[i + 1..].iter().collect(), chars.len())
        }
        Some('\\') => {
            let name: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_alphabetic()).collect();
            let end = i + 1 + name.chars().count();
            (format!("\\{name}"), end)
        }
        Some(&c) => (c.to_string(), i + 1),
        None => (String::new(), i),
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn latex_becomes_plain_text() {
        for (latex, text) in [
            (
                "{BERT}: Pre-training of {Deep} Transformers",
                "BERT: Pre-training of Deep Transformers",
            ),
            (
                "M\\\"{u}ller and M{\\\"u}ller and M\\\"uller",
                "Müller and Müller and Müller",
            ),
            (
                "G{\\'e}rard Ca\\~nas \\c{C}elik \\v Sedl\\'a\\v{c}ek",
                "Gérard Cañas Çelik Šedláček",
            ),
            ("na\\\"{\\i}ve \\'{\\i}", "naïve í"),
            ("Q\\&A: 50\\% of \\_x\\_ \\#1 \\$5", "Q&A: 50% of _x_ #1 $5"),
            ("Stra\\ss e, \\o{}re, \\AE{}sop", "Straße, øre, Æsop"),
            ("pages 1--10 --- done", "pages 1–10 — done"),
            ("two\n   lines~and\tmore", "two lines and more"),
            ("\\emph{Very} \\textit{deep} $x$", "Very deep x"),
            ("trailing \\", "trailing"),
            ("\\'", ""),
        ] {
            assert_eq!(plain(latex), text, "{latex}");
        }
    }
}
