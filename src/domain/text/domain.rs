//! Domain names as twitter-text's URL expression reads them.
//!
//! A domain is labels each followed by a dot, then a top-level domain. The regex engine tries
//! the most labels first and gives one back at a time, and it tries this at every position
//! of the text. Done naively that is quadratic on long runs of letters or dots, so the
//! labels are indexed once (`Labels`) and each run's answer is worked out once, from the
//! end of the text backwards.
//!
//! Top-level domains are checked against the Public Suffix List (`psl`), which holds every
//! IANA top-level domain and is kept current, where twitter-text carries a 2020 copy.

/// Longest top-level domain tried, in characters (real ones stay under 25).
const MAX_TLD_CHARS: usize = 32;

/// Which of twitter-text's two domain expressions is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `validDomain`: labels of any character but punctuation and spaces, with `-` and `_`
    /// inside (no `_` in the label just before the top-level domain).
    Domain,
    /// `validAsciiDomain`: labels of ASCII letters, digits, `-` and Latin accented letters.
    Ascii,
}

impl Kind {
    fn in_label(self, c: char) -> bool {
        match self {
            Kind::Domain => is_domain_char(c) || c == '-' || c == '_',
            Kind::Ascii => c.is_ascii_alphanumeric() || c == '-' || is_latin_accent(c),
        }
    }

    fn at_label_edge(self, c: char) -> bool {
        match self {
            Kind::Domain => is_domain_char(c),
            Kind::Ascii => true,
        }
    }
}

/// A maximal run of label characters.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
    /// Whether the run is followed by a dot and ends on a character a label may end on.
    ends_label: bool,
    last_underscore: Option<usize>,
    /// End of the domain when a label from this run is followed by more labels.
    via_later: Option<usize>,
    /// End of the domain when the top-level domain comes right after this run's dot.
    via_tld: Option<usize>,
}

/// The label runs of a text, with where a domain starting in each would end.
#[derive(Debug)]
pub(super) struct Labels<'a> {
    kind: Kind,
    haystack: &'a str,
    runs: Vec<Run>,
}

impl<'a> Labels<'a> {
    pub(super) fn new(haystack: &'a str, kind: Kind) -> Self {
        let mut runs: Vec<Run> = Vec::new();
        let mut chars = haystack.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if !kind.in_label(c) {
                continue;
            }
            let (mut end, mut last, mut last_underscore) = (start + c.len_utf8(), c, None);
            if c == '_' {
                last_underscore = Some(start);
            }
            while let Some((i, c)) = chars.next_if(|&(_, c)| kind.in_label(c)) {
                (end, last) = (i + c.len_utf8(), c);
                if c == '_' {
                    last_underscore = Some(i);
                }
            }
            let ends_label = kind.at_label_edge(last) && haystack[end..].starts_with('.');
            runs.push(Run {
                start,
                end,
                ends_label,
                last_underscore,
                via_later: None,
                via_tld: None,
            });
        }
        let mut labels = Self {
            kind,
            haystack,
            runs,
        };
        for i in (0..labels.runs.len()).rev() {
            let run = labels.runs[i];
            if !run.ends_label {
                continue;
            }
            let next_start = run.end + 1;
            labels.runs[i].via_tld = tld_end(haystack, next_start);
            labels.runs[i].via_later = labels
                .runs
                .get(i + 1)
                .filter(|next| next.start == next_start)
                .and_then(|_| labels.end_from(i + 1, next_start));
        }
        labels
    }

    /// End of the domain starting at `pos`, if one does.
    pub(super) fn domain_end(&self, pos: usize) -> Option<usize> {
        let i = self.runs.partition_point(|r| r.end <= pos);
        self.runs
            .get(i)
            .filter(|r| r.start <= pos)
            .and_then(|_| self.end_from(i, pos))
    }

    /// The leftmost domains, one after the other, as byte ranges.
    pub(super) fn all_domains(&self) -> Vec<std::ops::Range<usize>> {
        let mut found = Vec::new();
        let mut pos = 0;
        for (i, run) in self.runs.iter().enumerate() {
            if run.end <= pos {
                continue;
            }
            // A search resumes where the last domain ended, even inside a run.
            let from = run.start.max(pos);
            if let Some(end) = self.end_from(i, from) {
                found.push(from..end);
                pos = end;
            }
        }
        found
    }

    fn end_from(&self, i: usize, pos: usize) -> Option<usize> {
        let run = &self.runs[i];
        let first = self.haystack[pos..].chars().next()?;
        if !run.ends_label || !self.kind.at_label_edge(first) {
            return None;
        }
        let underscore = run.last_underscore.is_some_and(|u| u >= pos);
        run.via_later
            .or(if underscore { None } else { run.via_tld })
    }
}

/// End of a top-level domain at `start` in `haystack`: a known one not followed by an
/// ASCII letter or digit, `@`, `+` or `-`, else a punycode label (`xn--…`).
fn tld_end(haystack: &str, start: usize) -> Option<usize> {
    let rest = &haystack[start..];
    let ends: Vec<usize> = rest
        .char_indices()
        .take_while(|&(_, c)| is_domain_char(c))
        .take(MAX_TLD_CHARS)
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    let known = ends.into_iter().rev().find(|&end| {
        let glued = rest[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '+' | '-'));
        !glued && is_known_tld(&rest[..end])
    });
    known
        .or_else(|| punycode_tld_len(rest))
        .map(|len| start + len)
}

fn is_known_tld(label: &str) -> bool {
    let lower = label.to_lowercase();
    psl::suffix(lower.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == lower.as_bytes())
}

fn punycode_tld_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 4 || !b[..4].eq_ignore_ascii_case(b"xn--") {
        return None;
    }
    let tail = b[4..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
        .count();
    (tail > 0).then_some(4 + tail)
}

/// Anything but ASCII punctuation (`"` and `` ` `` excepted, as in twitter-text), spaces,
/// invalid characters and directional marks.
pub(super) fn is_domain_char(c: char) -> bool {
    let punct = c.is_ascii_punctuation() && !matches!(c, '"' | '`');
    let space = matches!(c,
        '\u{09}'..='\u{0D}' | ' ' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{180E}'
        | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}'
        | '\u{3000}');
    let directional = matches!(c,
        '\u{202A}'..='\u{202E}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2066}'..='\u{2069}');
    !(punct || space || directional || super::is_invalid_char(c))
}

/// twitter-text's `latinAccentChars`.
pub(super) fn is_latin_accent(c: char) -> bool {
    matches!(c,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{FF}' | '\u{100}'..='\u{24F}'
        | '\u{253}' | '\u{254}' | '\u{256}' | '\u{257}' | '\u{259}' | '\u{25B}' | '\u{263}'
        | '\u{268}' | '\u{26F}' | '\u{272}' | '\u{289}' | '\u{28B}' | '\u{2BB}'
        | '\u{300}'..='\u{36F}' | '\u{1E00}'..='\u{1EFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain_at(text: &str, pos: usize) -> Option<&str> {
        Labels::new(text, Kind::Domain)
            .domain_end(pos)
            .map(|end| &text[pos..end])
    }

    #[test]
    fn takes_the_most_labels_that_end_in_a_tld() {
        assert_eq!(domain_at("www.bbc.co.uk/news", 0), Some("www.bbc.co.uk"));
        assert_eq!(domain_at("example.com.zz", 0), Some("example.com"));
        // `_` may appear in a subdomain but not in the label before the top-level domain.
        assert_eq!(domain_at("b_c.example.com", 0), Some("b_c.example.com"));
        assert_eq!(domain_at("a.b_c.com", 0), None);
        assert_eq!(domain_at("x.-a.com", 0), None);
        assert_eq!(domain_at("東京.jp", 3), Some("京.jp"));
    }

    #[test]
    fn a_tld_may_not_run_into_letters_digits_or_at() {
        assert_eq!(domain_at("example.comx", 0), None);
        assert_eq!(domain_at("example.com@x", 0), None);
        assert_eq!(domain_at("example.comñ", 0), Some("example.com"));
        assert_eq!(domain_at("example.COM", 0), Some("example.COM"));
        assert_eq!(domain_at("a.xn--p1ai", 0), Some("a.xn--p1ai"));
    }

    #[test]
    fn ascii_domains_inside_a_longer_domain() {
        let d = "東京example.com漢字a.co.uk";
        let found: Vec<&str> = Labels::new(d, Kind::Ascii)
            .all_domains()
            .into_iter()
            .map(|r| &d[r])
            .collect();
        assert_eq!(found, ["example.com", "a.co.uk"]);
    }
}
