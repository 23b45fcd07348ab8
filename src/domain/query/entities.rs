//! Entity extraction from post text, close to twitter-text: URLs, #hashtags,
//! $cashtags and @mentions. Only the parts X's search operators need are kept.
//!
//! - URL: `http://` or `https://` (any case) not glued to a preceding letter or digit,
//!   up to the next whitespace, minus trailing punctuation. Bare domains are not links.
//! - Hashtag: `#` or `＃` not preceded by a word character or `&`, then letters, digits,
//!   `_` or combining marks, at least one of them not a digit. Stored folded.
//! - Cashtag: `$` at the start or after whitespace, 1–6 ASCII letters, optionally `.` or
//!   `_` and 1–2 more letters, not followed by a word character. Stored lower-case.
//! - Mention: `@` or `＠` not preceded by a word character or one of `!@#$%&*`, then
//!   1–15 of `[A-Za-z0-9_]`, not followed by `@` (e-mail). Stored lower-case.
//!
//! Entities inside URLs are ignored.

use unicode_normalization::char::is_combining_mark;

use super::text::fold;

/// The entities of one post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entities {
    pub(crate) hashtags: Vec<String>,
    pub(crate) cashtags: Vec<String>,
    pub(crate) mentions: Vec<String>,
    pub(crate) urls: Vec<String>,
}

/// Byte ranges of the URLs in `text`.
fn url_spans(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = next_scheme(&lower[from..]) {
        let start = from + found;
        let glued = text[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let rest = &text[start..];
        let mut end = start + rest.find(char::is_whitespace).unwrap_or(rest.len());
        end = start + text[start..end].trim_end_matches(is_trailing_punct).len();
        let scheme_len = if lower[start..].starts_with("https://") {
            8
        } else {
            7
        };
        if !glued && end > start + scheme_len {
            spans.push((start, end));
        }
        from = end.max(start + scheme_len);
    }
    spans
}

fn next_scheme(lower: &str) -> Option<usize> {
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '\'' | '"' | '…' | '’' | '”'
    )
}

/// The parts of `text` outside URLs, in order.
pub(crate) fn outside_urls(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut at = 0;
    for (start, end) in url_spans(text) {
        parts.push(&text[at..start]);
        at = end;
    }
    parts.push(&text[at..]);
    parts
}

/// Extracts URLs, hashtags, cashtags and mentions from `text`.
pub(crate) fn extract(text: &str) -> Entities {
    let mut entities = Entities {
        urls: url_spans(text)
            .into_iter()
            .map(|(s, e)| text[s..e].to_lowercase())
            .collect(),
        ..Entities::default()
    };
    for segment in outside_urls(text) {
        let chars: Vec<char> = segment.chars().collect();
        for i in 0..chars.len() {
            match chars[i] {
                '#' | '＃' => push_some(&mut entities.hashtags, hashtag_at(&chars, i)),
                '$' => push_some(&mut entities.cashtags, cashtag_at(&chars, i)),
                '@' | '＠' => push_some(&mut entities.mentions, mention_at(&chars, i)),
                _ => {}
            }
        }
    }
    entities
}

fn push_some(list: &mut Vec<String>, item: Option<String>) {
    if let Some(item) = item {
        list.push(item);
    }
}

fn is_hashtag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

fn hashtag_at(chars: &[char], i: usize) -> Option<String> {
    if i > 0 && (is_hashtag_char(chars[i - 1]) || chars[i - 1] == '&') {
        return None;
    }
    let body: String = chars[i + 1..]
        .iter()
        .take_while(|c| is_hashtag_char(**c))
        .collect();
    if body
        .chars()
        .all(|c| c.is_numeric() || c == '_' || is_combining_mark(c))
    {
        return None;
    }
    Some(fold(&body))
}

/// The folded hashtag `#body` makes when all of `body` is one hashtag as
/// [`extract`] finds them (letters, digits, `_` and combining marks, not only
/// digits); `None` when a character would end the hashtag early.
pub(crate) fn whole_hashtag(body: &str) -> Option<String> {
    if body.is_empty() || !body.chars().all(is_hashtag_char) {
        return None;
    }
    let chars: Vec<char> = std::iter::once('#').chain(body.chars()).collect();
    hashtag_at(&chars, 0)
}

fn cashtag_at(chars: &[char], i: usize) -> Option<String> {
    if i > 0 && !chars[i - 1].is_whitespace() {
        return None;
    }
    let rest = &chars[i + 1..];
    let letters = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=6).contains(&letters) {
        return None;
    }
    let mut len = letters;
    if matches!(rest.get(len), Some('.' | '_')) {
        let more = rest[len + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if (1..=2).contains(&more) {
            len += 1 + more;
        }
    }
    if rest
        .get(len)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return None;
    }
    Some(rest[..len].iter().collect::<String>().to_ascii_lowercase())
}

fn mention_at(chars: &[char], i: usize) -> Option<String> {
    let blocked = |c: char| c.is_alphanumeric() || "_!@＠#$%&*".contains(c);
    if i > 0 && blocked(chars[i - 1]) {
        return None;
    }
    let rest = &chars[i + 1..];
    let len = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
        .count();
    let after = rest.get(len).copied();
    if !(1..=15).contains(&len) || matches!(after, Some('@' | '＠')) {
        return None;
    }
    if after.is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some(rest[..len].iter().collect::<String>().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_and_trimmed() {
        let e = extract("Bins (https://Croydon.gov.uk/bins). Also http://t.co/x, and xhttp://no");
        assert_eq!(e.urls, ["https://croydon.gov.uk/bins", "http://t.co/x"]);
        assert!(extract("just https:// nothing").urls.is_empty());
        assert_eq!(outside_urls("a http://x.y b"), ["a ", " b"]);
    }

    #[test]
    fn hashtags_follow_twitter_text() {
        let e = extract("#Croydon #Café #2024 #thankunext a#b &#39; #_x #road_works");
        assert_eq!(
            e.hashtags,
            ["croydon", "cafe", "thankunext", "_x", "road_works"]
        );
        assert!(extract("https://x.com/#frag").hashtags.is_empty());
    }

    #[test]
    fn a_whole_hashtag_is_what_extraction_would_find() {
        assert_eq!(
            whole_hashtag("ThorntonHeath").as_deref(),
            Some("thorntonheath")
        );
        assert_eq!(whole_hashtag("CaféNero").as_deref(), Some("cafenero"));
        assert_eq!(whole_hashtag("Route66").as_deref(), Some("route66"));
        assert_eq!(whole_hashtag("road_works").as_deref(), Some("road_works"));
        for cut_short in [
            "StJames's",
            "St.Helier",
            "Croydon,Victoria",
            "Stoke-on-Trent",
        ] {
            assert_eq!(whole_hashtag(cut_short), None, "{cut_short}");
        }
        assert_eq!(whole_hashtag("2024"), None, "digits only");
        assert_eq!(whole_hashtag("Croydon🍒"), None);
        assert_eq!(whole_hashtag(""), None);
        for body in ["ThorntonHeath", "CaféNero", "road_works"] {
            let text = format!("#{body}");
            assert_eq!(extract(&text).hashtags, [whole_hashtag(body).unwrap()]);
        }
    }

    #[test]
    fn cashtags_follow_twitter_text() {
        let e = extract("$TWTR up, $BRK.A too, not $5 nor a$b nor $TOOLONGX, ($AAPL)");
        assert_eq!(e.cashtags, ["twtr", "brk.a"]);
    }

    #[test]
    fn mentions_follow_twitter_text() {
        let e = extract("@CroydonCouncil hi @bob_1, mail me@example.com or @a@b ＠Jane");
        assert_eq!(e.mentions, ["croydoncouncil", "bob_1", "jane"]);
        assert!(extract("@abcdefghijklmnop").mentions.is_empty());
    }
}
