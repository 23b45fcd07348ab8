//! The message lettre writes from an `Email`, read back as bytes: headers
//! that cannot be injected, encoded words, the Message-ID, the parts; and
//! the referral email's content.

use time::macros::datetime;

use super::*;

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn id() -> MessageId {
    MessageId::parse("<PW-000123.1@placewatch.invalid>").unwrap()
}

fn email(to_name: &str, subject: &str) -> Email {
    Email::new(
        NamedAddress::new("Croydon Council comms desk", addr("desk@croydon.example")),
        vec![NamedAddress::new(to_name, addr("streets@croydon.example"))],
        subject,
        "plain".into(),
        "<p>html</p>".into(),
        id(),
    )
    .unwrap()
}

/// The header section, unfolded: (name, value) in order.
fn headers(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8(raw.to_vec()).expect("headers are ASCII");
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            out.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("a header line");
            out.push((name.to_string(), value.trim_start().to_string()));
        }
    }
    out
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Vec<&'h str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn a_display_name_cannot_add_a_header_or_a_recipient() {
    let message = email("x\r\nBcc: evil@example.com", "ok").message().unwrap();
    let raw = message.formatted();
    let h = headers(&raw);
    assert!(header(&h, "Bcc").is_empty(), "{h:#?}");
    let to = header(&h, "To");
    assert_eq!(to.len(), 1, "{h:#?}");
    assert!(to[0].ends_with("<streets@croydon.example>"), "{to:?}");
    assert!(!String::from_utf8_lossy(&raw).contains("\r\nBcc"), "{h:#?}");
    let envelope = message.envelope();
    assert_eq!(envelope.to(), [addr("streets@croydon.example")]);
    assert_eq!(envelope.from(), Some(&addr("desk@croydon.example")));
}

#[test]
fn a_subject_cannot_add_a_header() {
    let e = email(
        "Streets",
        "PW-000001 litter\r\nBcc: evil@example.com\r\n\r\nbody",
    );
    assert_eq!(e.subject(), "PW-000001 litter Bcc: evil@example.com body");
    let h = headers(&e.message().unwrap().formatted());
    assert!(header(&h, "Bcc").is_empty(), "{h:#?}");
    assert_eq!(header(&h, "Subject").len(), 1);
    let long = email("Streets", &"x".repeat(10_000));
    assert_eq!(long.subject().chars().count(), 200);
}

#[test]
fn non_ascii_names_and_subjects_are_encoded_words() {
    let e = email(
        "Tîm Strydoedd \u{202E}",
        "Cyfeirnod PW-000002: sbwriel ar Stryd Surrey 🚋",
    );
    assert_eq!(e.to()[0].name(), Some("Tîm Strydoedd"));
    let raw = e.message().unwrap().formatted();
    let head = String::from_utf8_lossy(&raw);
    let head = head.split("\r\n\r\n").next().unwrap();
    assert!(head.is_ascii(), "{head}");
    let h = headers(&raw);
    assert!(header(&h, "To")[0].starts_with("=?utf-8?"), "{h:#?}");
    assert!(header(&h, "Subject")[0].contains("=?utf-8?"), "{h:#?}");
}

#[test]
fn the_message_id_is_the_callers_and_the_body_is_alternative_plain_then_html() {
    let raw = email("Streets", "s").message().unwrap().formatted();
    let h = headers(&raw);
    assert_eq!(
        header(&h, "Message-ID"),
        ["<PW-000123.1@placewatch.invalid>"]
    );
    assert_eq!(header(&h, "MIME-Version"), ["1.0"]);
    assert!(header(&h, "Content-Type")[0].starts_with("multipart/alternative"));
    assert!(!header(&h, "Date").is_empty());
    let text = String::from_utf8_lossy(&raw);
    let plain = text
        .find("Content-Type: text/plain; charset=utf-8")
        .unwrap();
    let html = text.find("Content-Type: text/html; charset=utf-8").unwrap();
    assert!(plain < html, "plain text first, the richer part last");
}

#[test]
fn an_email_needs_a_recipient() {
    let from = NamedAddress::bare(addr("desk@croydon.example"));
    let e = Email::new(from, vec![], "s", String::new(), String::new(), id());
    assert_eq!(e, Err(EmailError::NoRecipient));
}

#[test]
fn message_ids_are_angle_bracketed_and_plain() {
    assert_eq!(
        MessageId::new("PW-000123.1", "placewatch.invalid").unwrap(),
        id()
    );
    for bad in [
        "PW-1@placewatch.invalid",
        "<PW-1>",
        "<PW-1@a@b>",
        "<PW 1@placewatch.invalid>",
        "<PW-1@placewatch.invalid>\r\nBcc: evil@example.com",
        "<.PW@x>",
        "<PW..1@x>",
        "<PW-1@>",
        "<@x>",
        "<Pé@x>",
    ] {
        assert!(MessageId::parse(bad).is_err(), "{bad:?}");
    }
    let long = format!("<{}@x>", "a".repeat(250));
    assert!(MessageId::parse(&long).is_err());
}

// ------------------------------------------------------------- referral

const HOSTILE: &str = "<script>alert('x')</script> & \"quotes\" \u{202E}txt.exe\u{200B} \
                       <img src=x onerror=alert(1)>\r\nBcc: evil@example.com";

fn referral() -> Referral {
    Referral {
        reference: Reference::new(123),
        council: "Croydon Council".into(),
        team: "Streets team".into(),
        reason: "Fly-tipping, large.\nPlease clear before Friday's market.".into(),
        officer: "Priya Shah".into(),
        post_id: 1_790_000_000_000_000_123,
        post_text: format!("litter all down Cherry Orchard Road {HOSTILE}"),
        posted_at: Some(datetime!(2026-12-05 14:03:27 UTC)),
        author_name: "Ada \u{202E}R\r\nBcc: evil@example.com".into(),
        author_handle: "ada_r".into(),
        places: vec!["Cherry Orchard Road".into(), "East Croydon".into()],
        item_id: 42,
        desk_url: Some("https://desk.croydon.example/pw/".parse().unwrap()),
    }
}

fn addressing() -> Addressing {
    Addressing {
        from: NamedAddress::new("Croydon Council comms desk", addr("desk@croydon.example")),
        to: vec![NamedAddress::new(
            "Streets team",
            addr("streets@croydon.example"),
        )],
        reply_to: Some(NamedAddress::new(
            "Priya Shah",
            addr("priya@croydon.example"),
        )),
        message_id: id(),
    }
}

#[test]
fn references_read_pw_and_six_digits() {
    assert_eq!(Reference::new(123).to_string(), "PW-000123");
    assert_eq!(Reference::new(1_234_567).to_string(), "PW-1234567");
    assert_eq!(Reference::parse("PW-000123"), Some(Reference::new(123)));
    for bad in ["PW-123", "pw-000123", "PW-00012a", "000123", "PW-"] {
        assert_eq!(Reference::parse(bad), None, "{bad}");
    }
}

#[test]
fn the_referral_subject_leads_with_the_reference() {
    let e = referral().email(addressing()).unwrap();
    assert!(
        e.subject().starts_with(
            "PW-000123 Referral to Streets team: Cherry Orchard Road and East Croydon – \
             “litter all down Cherry Orchard Road <script>alert('x')</scr…”"
        ),
        "{}",
        e.subject()
    );
    assert_eq!(e.message_id(), &id());
    assert_eq!(
        e.reply_to().unwrap().address(),
        &addr("priya@croydon.example")
    );
}

#[test]
fn the_html_part_escapes_everything_the_resident_wrote() {
    let e = referral().email(addressing()).unwrap();
    let html = e.html();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    // askama writes numeric character references.
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains("&#38; &#34;quotes&#34;"), "{html}");
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{html}"
    );
    // The override stays inside the post's own isolate.
    assert!(html.contains("<bdi>litter all down"), "{html}");
    assert!(html.contains("Open item 42 in the desk"), "{html}");
    assert!(html.contains("href=\"https://desk.croydon.example/pw/items/42\""));
    assert!(html.contains("href=\"https://x.com/ada_r/status/1790000000000000123\""));
    assert!(
        html.contains("Saturday 5 December 2026, 14:03 UTC"),
        "{html}"
    );
    // The author's name is one line, without its override.
    assert!(
        html.contains("<bdi>Ada R Bcc: evil@example.com</bdi>"),
        "{html}"
    );
}

#[test]
fn the_plain_part_keeps_the_post_and_the_reason_as_written() {
    let r = referral();
    let e = r.email(addressing()).unwrap();
    let text = e.text();
    assert!(text.contains(&format!("\n\n{}\n\n", r.post_text)), "{text}");
    assert!(text.contains(&format!("\n\n{}\n\n", r.reason)), "{text}");
    assert!(text.contains("The post, by Ada R Bcc: evil@example.com (@ada_r), Saturday"));
    assert!(text.contains("Places:      Cherry Orchard Road and East Croydon\n"));
    assert!(text.contains("On X:        https://x.com/ada_r/status/1790000000000000123\n"));
    assert!(text.contains("In the desk: https://desk.croydon.example/pw/items/42\n"));
    assert!(text.contains("Please quote PW-000123"), "{text}");
}

#[test]
fn a_ten_thousand_character_post_is_whole_in_both_parts() {
    let mut r = referral();
    r.post_text = "<b>Croydon</b> ".repeat(667);
    assert!(r.post_text.len() > 10_000);
    let e = r.email(addressing()).unwrap();
    assert!(e.text().contains(&r.post_text));
    assert!(
        e.html()
            .contains(&"&#60;b&#62;Croydon&#60;/b&#62; ".repeat(667))
    );
    assert!(e.subject().chars().count() <= 200);
    // lettre keeps every line under the limit (quoted-printable or base64).
    let raw = e.message().unwrap().formatted();
    let longest = raw.split(|b| *b == b'\n').map(<[u8]>::len).max().unwrap();
    assert!(longest <= 998, "{longest}");
}

#[test]
fn without_the_desks_address_the_item_is_named_not_linked() {
    let mut r = referral();
    r.desk_url = None;
    r.posted_at = None;
    r.author_handle = "not a handle".into();
    let e = r.email(addressing()).unwrap();
    assert!(e.text().contains("In the desk: item 42\n"), "{}", e.text());
    assert!(e.html().contains("<p>In the desk: item 42</p>"));
    assert!(
        e.text()
            .contains("https://x.com/i/web/status/1790000000000000123")
    );
    assert!(e.text().contains("(@not a handle):"), "{}", e.text());
}
