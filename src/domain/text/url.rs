//! Finds URLs the way twitter-text's `extractUrlsWithIndices` does, URLs without a scheme
//! included.
//!
//! twitter-text matches one big regular expression: a preceding character that is not a
//! letter, digit, `@`, `$` or `#`; an optional `http://` or `https://`; a domain (labels
//! separated by dots, ending in a known top-level domain or a punycode label); an optional
//! port; an optional path that ends on a "safe" character or balanced parentheses; and an
//! optional query. A match is then kept only if every label fits in 63 characters once
//! punycode-encoded and the whole URL in 4096. Without a scheme, only the ASCII domains
//! inside the match count, and not after `-`, `_`, `.` or `/`. A t.co link stops after its
//! slug. This module walks the text with the same rules by hand, in the same order as the
//! regular expression engine tries them.

use std::ops::Range;

use super::domain::{Kind, Labels, is_latin_accent};

/// Longest URL twitter-text accepts, in UTF-16 code units.
const MAX_URL_LENGTH: usize = 4096;
/// Longest t.co slug twitter-text accepts.
const MAX_TCO_SLUG_LENGTH: usize = 40;
/// Longest DNS label, punycode-encoded.
const MAX_LABEL_LENGTH: usize = 63;

/// Byte ranges of the URLs in `text`, in order, without overlaps.
pub(super) fn find_urls(text: &str) -> Vec<Range<usize>> {
    let labels = Labels::new(text, Kind::Domain);
    let mut urls = Vec::new();
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        match match_at(&labels, text, pos, c) {
            Some(m) => {
                urls.extend(accept(text, &m));
                // Like the regex's lastIndex: a rejected match still consumes its text.
                pos = m.end;
            }
            None => pos += c.len_utf8(),
        }
    }
    urls
}

/// One match of twitter-text's URL expression, before its checks.
#[derive(Debug)]
struct Candidate {
    /// The character matched before the URL, `None` at the start of the text.
    before: Option<char>,
    start: usize,
    end: usize,
    /// Length of `http://` or `https://`, if present.
    scheme: Option<usize>,
    domain: Range<usize>,
    has_path: bool,
}

/// Tries a match starting at `pos`: first with the character at `pos` as the preceding
/// character, then (at the very start only) with the URL at `pos` itself.
fn match_at(labels: &Labels, text: &str, pos: usize, c: char) -> Option<Candidate> {
    let after_preceding = is_valid_preceding(c)
        .then(|| candidate(labels, text, pos + c.len_utf8(), Some(c)))
        .flatten();
    after_preceding.or_else(|| {
        (pos == 0)
            .then(|| candidate(labels, text, 0, None))
            .flatten()
    })
}

fn candidate(labels: &Labels, text: &str, start: usize, before: Option<char>) -> Option<Candidate> {
    let scheme = scheme_len(&text[start..]);
    let (scheme, domain_end) = scheme
        .and_then(|n| Some((Some(n), labels.domain_end(start + n)?)))
        .or_else(|| Some((None, labels.domain_end(start)?)))?;
    let domain = start + scheme.unwrap_or(0)..domain_end;
    let mut end = domain_end;
    if let Some(rest) = text[end..].strip_prefix(':') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    let has_path = text[end..].starts_with('/');
    if has_path {
        end = path_end(text, end + 1);
    }
    if text[end..].starts_with('?')
        && let Some(query_end) = query_end(text, end + 1)
    {
        end = query_end;
    }
    Some(Candidate {
        before,
        start,
        end,
        scheme,
        domain,
        has_path,
    })
}

/// The URLs a match stands for once twitter-text's checks are applied (none, one, or
/// several when a scheme-less match holds several ASCII domains).
fn accept(text: &str, m: &Candidate) -> Vec<Range<usize>> {
    let url = &text[m.start..m.end];
    let domain = &text[m.domain.clone()];
    let Some(punycode_len) = punycode_len(domain) else {
        return Vec::new();
    };
    // twitter-text adds the scheme (or "https://" when absent) to a URL that already
    // holds it; kept as is so the same URLs pass.
    let scheme_len = m.scheme.unwrap_or("https://".len());
    if scheme_len + utf16_len(url) + punycode_len > MAX_URL_LENGTH + utf16_len(domain) {
        return Vec::new();
    }
    if m.scheme.is_some() {
        let end = match tco_len(url) {
            Some((slug, _)) if slug > MAX_TCO_SLUG_LENGTH => return Vec::new(),
            Some((_, len)) => m.start + len,
            None => m.end,
        };
        return std::iter::once(m.start..end).collect();
    }
    if matches!(m.before, Some('-' | '_' | '.' | '/')) {
        return Vec::new();
    }
    let mut urls: Vec<Range<usize>> = ascii_domains(domain)
        .into_iter()
        .map(|r| m.domain.start + r.start..m.domain.start + r.end)
        .collect();
    // Only the last domain takes the path and query, and only when there is a path.
    if let Some(last) = urls.last_mut().filter(|_| m.has_path) {
        last.end = m.end;
    }
    urls
}

fn scheme_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let http = b.len() >= 4 && b[..4].eq_ignore_ascii_case(b"http");
    let s_len = usize::from(http && b.get(4).is_some_and(|c| c.eq_ignore_ascii_case(&b's')));
    (http && b[4 + s_len..].starts_with(b"://")).then_some(7 + s_len)
}

/// End of a path starting after its `/`: the longest run of path characters and balanced
/// parentheses that ends on a path-ending character or a parenthesised group.
fn path_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut pos = start;
    while let Some(c) = text[pos..].chars().next() {
        if c == '(' {
            match balanced_parens_end(text, pos) {
                Some(e) => {
                    pos = e;
                    end = e;
                }
                None => break,
            }
        } else if is_path_char(c) {
            pos += c.len_utf8();
            if is_path_ending_char(c) {
                end = pos;
            }
        } else {
            break;
        }
    }
    end
}

/// `(chars)` or `(chars(chars)chars)`, at most one level nested, as in Wikipedia URLs.
fn balanced_parens_end(text: &str, open: usize) -> Option<usize> {
    let path_chars = |from: usize| {
        text[from..]
            .find(|c: char| !is_path_char(c))
            .map_or(text.len(), |n| from + n)
    };
    let inner = open + 1;
    let after = path_chars(inner);
    match text[after..].chars().next()? {
        ')' if after > inner => Some(after + 1),
        '(' => {
            let nested = after + 1;
            let nested_end = path_chars(nested);
            if nested_end == nested || !text[nested_end..].starts_with(')') {
                return None;
            }
            let tail = path_chars(nested_end + 1);
            text[tail..].starts_with(')').then_some(tail + 1)
        }
        _ => None,
    }
}

/// End of a query starting after its `?`, if it ends on a query-ending character.
fn query_end(text: &str, start: usize) -> Option<usize> {
    let mut end = None;
    for (i, c) in text[start..].char_indices() {
        if !is_query_char(c) {
            break;
        }
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '&' | '=' | '#' | '/') {
            end = Some(start + i + 1);
        }
    }
    end
}

/// For a t.co URL: its slug's length and the length of the URL up to the slug (and query).
fn tco_len(url: &str) -> Option<(usize, usize)> {
    let scheme = scheme_len(url)?;
    let host = url.get(scheme..scheme + 5)?;
    if !host.eq_ignore_ascii_case("t.co/") {
        return None;
    }
    let slug_start = scheme + 5;
    let slug = url[slug_start..]
        .bytes()
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    if slug == 0 {
        return None;
    }
    let mut end = slug_start + slug;
    if url[end..].starts_with('?') {
        end = query_end(url, end + 1).unwrap_or(end);
    }
    Some((slug, end))
}

/// The ASCII domains inside a scheme-less match, relative to `domain`.
fn ascii_domains(domain: &str) -> Vec<Range<usize>> {
    Labels::new(domain, Kind::Ascii).all_domains()
}

/// Length of the domain once each label is punycode-encoded, or `None` if a label is
/// empty or longer than 63, as twitter-text's `idna.toAscii` decides.
fn punycode_len(domain: &str) -> Option<usize> {
    if domain.starts_with("xn--") && ascii_domains(domain).is_empty() {
        return None;
    }
    let mut total = domain.matches('.').count();
    for label in domain.split('.') {
        let len = if label.bytes().all(|b| b <= 0x7E) {
            label.len()
        } else {
            "xn--".len() + idna::punycode::encode_str(label)?.len()
        };
        if !(1..=MAX_LABEL_LENGTH).contains(&len) {
            return None;
        }
        total += len;
    }
    Some(total)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Not a letter, digit, `@`, `$`, `#` (or their full-width forms) or invalid character.
fn is_valid_preceding(c: char) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(c, '@' | '＠' | '$' | '#' | '＃')
        || super::is_invalid_char(c))
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4FF}').contains(&c)
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || is_cyrillic(c)
        || is_latin_accent(c)
        || "!*';:=+,.$/%#[]-\u{2013}_~@|&".contains(c)
}

fn is_path_ending_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || is_cyrillic(c)
        || is_latin_accent(c)
        || matches!(c, '+' | '-' | '=' | '_' | '#' | '/')
}

fn is_query_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!?*'@();:&=+$/%#[]-_.,~|".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        find_urls(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_urls_with_a_scheme() {
        assert_eq!(urls("Hi http://test.co"), ["http://test.co"]);
        assert_eq!(urls("HTTPS://Example.COM/a"), ["HTTPS://Example.COM/a"]);
        assert_eq!(urls("x http://localhost/ y"), Vec::<&str>::new());
    }

    #[test]
    fn finds_urls_without_a_scheme() {
        assert_eq!(urls("see example.com."), ["example.com"]);
        assert_eq!(
            urls("www.council.gov.uk/bins?day=mon!"),
            ["www.council.gov.uk/bins?day=mon"]
        );
        assert_eq!(urls("example.com:8080 x"), ["example.com"]);
        assert_eq!(urls("東京example.com"), ["example.com"]);
    }

    #[test]
    fn ignores_emails_and_glued_domains() {
        assert_eq!(urls("mail x@example.com"), Vec::<&str>::new());
        assert_eq!(urls("x -example.com _b.com /c.com"), Vec::<&str>::new());
        assert_eq!(urls("a-example.com"), ["a-example.com"]);
        assert_eq!(urls("example.com-x example.comx"), Vec::<&str>::new());
        assert_eq!(urls("東京x@y.com 😀a@b.com é1@x.org"), Vec::<&str>::new());
    }

    #[test]
    fn path_stops_before_trailing_punctuation() {
        assert_eq!(urls("(see https://x.com/a.)"), ["https://x.com/a"]);
        assert_eq!(
            urls("https://en.wikipedia.org/wiki/Primer_(film)."),
            ["https://en.wikipedia.org/wiki/Primer_(film)"]
        );
        assert_eq!(
            urls("https://x.com/a_(b_(c))/"),
            ["https://x.com/a_(b_(c))/"]
        );
        assert_eq!(urls("https://x.com/@user/"), ["https://x.com/@user/"]);
    }

    #[test]
    fn tco_links_stop_after_the_slug() {
        assert_eq!(urls("https://t.co/abc123/more"), ["https://t.co/abc123"]);
        let long = format!("https://t.co/{}", "a".repeat(41));
        assert_eq!(urls(&long), Vec::<&str>::new());
    }

    #[test]
    fn labels_over_63_once_punycoded_are_not_urls() {
        let label = "a".repeat(64);
        assert_eq!(urls(&format!("http://{label}.com")), Vec::<&str>::new());
        assert_eq!(urls(&format!("http://{}.com", &label[..63])).len(), 1);
        assert_eq!(urls("http://あいうえお.com"), ["http://あいうえお.com"]);
    }

    #[test]
    fn punycode_and_internationalised_tlds() {
        assert_eq!(urls("http://foobar.پاکستان/"), ["http://foobar.پاکستان/"]);
        assert_eq!(
            urls("http://xn--80ak6aa92e.xn--p1ai"),
            ["http://xn--80ak6aa92e.xn--p1ai"]
        );
    }
}
