//! Text that goes into a header (a subject, a display name) made safe: no
//! line breaks or other control characters (so nothing can end the header
//! and start another, such as `Bcc:`), no bidirectional overrides or
//! invisible characters (so a name cannot read differently from what it
//! is), one space between words, and a length cap. Non-ASCII text is kept:
//! lettre writes it as RFC 2047 encoded words.

use unicode_normalization::UnicodeNormalization as _;

/// The longest subject placewatch writes, in characters (RFC 5322 allows
/// 998 octets a line; mail clients show about 60).
pub const SUBJECT_MAX_CHARS: usize = 200;

/// The longest display name placewatch writes, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// `raw` fit for a header: NFC-normalised; every control character, line
/// break and other whitespace run becomes one space; bidirectional controls
/// and invisible characters are dropped; trimmed; at most `max_chars`
/// characters, the last of them `…` when it had to be cut.
pub fn header_text(raw: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max_chars.saturating_mul(4)));
    let mut space = false;
    for c in raw.nfc() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    cap(out, max_chars)
}

/// At most `max_chars` characters, ending in `…` when cut.
fn cap(text: String, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Characters that change how the text around them reads or that cannot be
/// seen: the bidirectional embeddings, overrides, isolates and marks
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), zero-width space,
/// word joiner and invisible operators (U+200B, U+2060–U+2064), the
/// byte-order mark, the Mongolian vowel separator and the interlinear
/// annotation marks. Zero-width (non-)joiners (U+200C, U+200D) stay: emoji
/// sequences and some scripts need them; so do the tag characters of the
/// flags of England, Scotland and Wales.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_controls_become_one_space() {
        assert_eq!(
            header_text("x\r\nBcc: evil@example.com", 100),
            "x Bcc: evil@example.com"
        );
        assert_eq!(
            header_text("a\n\n\tb\x00c\x1b[31md\u{85}e", 100),
            "a b c [31md e"
        );
        assert_eq!(
            header_text("  \r\n lead and trail \u{2028} ", 100),
            "lead and trail"
        );
        assert_eq!(header_text("\r\n", 100), "");
    }

    #[test]
    fn bidi_controls_and_invisible_characters_are_dropped() {
        // "Right-to-left override" would show "moc.elpmaxe@dnarb" reversed.
        assert_eq!(
            header_text("brand\u{202E}moc.elpmaxe", 100),
            "brandmoc.elpmaxe"
        );
        assert_eq!(
            header_text(
                "a\u{200B}b\u{2066}c\u{2069}d\u{FEFF}e\u{200E}f\u{061C}g",
                100
            ),
            "abcdefg"
        );
        // Joiners and flag tags are kept: they are part of what people write.
        let family = "👨\u{200D}👩\u{200D}👧";
        assert_eq!(header_text(family, 100), family);
        let wales = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}";
        assert_eq!(header_text(wales, 100), wales);
    }

    #[test]
    fn text_is_nfc_and_non_ascii_is_kept() {
        assert_eq!(header_text("Siân Llŷr", 100), "Siân Llŷr");
        assert_eq!(header_text("Sia\u{0302}n", 100), "Siân");
        assert_eq!(header_text("Zoë 🚋 渋谷", 100), "Zoë 🚋 渋谷");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "word ".repeat(100);
        let cut = header_text(&long, 20);
        assert_eq!(cut, "word word word word…");
        assert_eq!(
            header_text(&long, 21),
            "word word word word…",
            "no space before …"
        );
        assert_eq!(header_text(&"é".repeat(20), 20), "é".repeat(20));
        assert_eq!(header_text(&"é".repeat(21), 20).chars().count(), 20);
        let huge = "x".repeat(10_000);
        assert_eq!(header_text(&huge, SUBJECT_MAX_CHARS).chars().count(), 200);
    }
}
