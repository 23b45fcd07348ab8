use super::*;

fn assignment(text: &str) -> Notice {
    Notice::Assignment {
        item_id: 123,
        team: "Streets".into(),
        by: "sam".into(),
        post_text: text.into(),
        link: "https://desk.example/items/123".into(),
    }
}

fn spike() -> SpikeNotice {
    SpikeNotice {
        subject: "Thornton Heath".into(),
        is_tag: false,
        headline: Some("flooding".into()),
        count: 34,
        usual: 3.2,
        link: "https://desk.example/?place=Thornton%20Heath".into(),
    }
}

#[test]
fn an_assignment_reads_as_one_line() {
    assert_eq!(
        assignment("Bins not collected on Cherry Orchard Road").plain(),
        "Item 123 assigned to Streets by sam: Bins not collected on Cherry Orchard Road — https://desk.example/items/123"
    );
}

#[test]
fn a_bulk_assignment_is_one_message_linking_to_the_team_items() {
    let bulk = Notice::Assignments {
        count: 12,
        team: "Streets <team>".into(),
        by: "sam".into(),
        link: "https://desk.example/?team=Streets+%3Cteam%3E".into(),
    };
    assert_eq!(
        bulk.plain(),
        "12 items assigned to Streets <team> by sam — https://desk.example/?team=Streets+%3Cteam%3E"
    );
    let slack = slack_payload(&bulk);
    assert_eq!(
        slack["blocks"][0]["text"]["text"],
        "*12 items assigned to Streets &lt;team&gt; by sam*"
    );
    assert_eq!(
        slack["blocks"][1]["elements"][0]["text"],
        "<https://desk.example/?team=Streets+%3Cteam%3E|Open the team's items>"
    );
    let card = &teams_payload(&bulk)["attachments"][0]["content"];
    assert_eq!(card["body"].as_array().unwrap().len(), 1, "the title alone");
    assert_eq!(card["actions"][0]["title"], "Open the team's items");
}

#[test]
fn teams_gets_an_adaptive_card_1_4_in_a_message_envelope() {
    let v = teams_payload(&assignment("Fly-tipping <b>again</b> & \"worse\""));
    assert_eq!(v["type"], "message");
    let attachments = v["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(
        attachments[0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachments[0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"][0]["text"],
        "Item 123 assigned to Streets by sam"
    );
    // JSON strings carry the text as written: nothing to escape in a card.
    assert_eq!(
        card["body"][1]["text"],
        "Fly-tipping <b>again</b> & \"worse\""
    );
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], "https://desk.example/items/123");
}

#[test]
fn slack_gets_text_and_blocks_with_mrkdwn_escaped() {
    let v = slack_payload(&assignment("<!channel> bins & <https://evil|click>"));
    let text = v["text"].as_str().unwrap();
    assert!(
        text.contains("&lt;!channel&gt; bins &amp; &lt;https://evil|click&gt;"),
        "{text}"
    );
    assert!(!text.contains("<!channel>"));
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "section");
    assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
    assert_eq!(
        blocks[1]["text"]["text"],
        "&gt; &lt;!channel&gt; bins &amp; &lt;https://evil|click&gt;"
    );
    assert_eq!(
        blocks[2]["elements"][0]["text"],
        "<https://desk.example/items/123|Open in placewatch>"
    );
}

#[test]
fn slack_links_cannot_be_ended_early_by_the_url() {
    let mut s = spike();
    s.link = "https://desk.example/?place=a|b>c".into();
    let v = slack_payload(&Notice::Spike(s));
    assert_eq!(
        v["blocks"][1]["elements"][0]["text"],
        "<https://desk.example/?place=a%7Cb%3Ec|Open the inbox>"
    );
}

#[test]
fn long_posts_are_cut_with_an_ellipsis() {
    let long = "word ".repeat(400);
    let q = quote(&long);
    assert_eq!(q.chars().count(), QUOTE_CHARS);
    assert!(q.ends_with('…'));
    assert_eq!(quote("short"), "short");
}

#[test]
fn a_spike_reads_like_the_banner() {
    assert_eq!(
        spike().sentence(),
        "Flooding: 34 posts about Thornton Heath in the last hour, usually 3"
    );
    let tag = SpikeNotice {
        subject: "flooding".into(),
        is_tag: true,
        headline: None,
        count: 12,
        usual: 0.0,
        ..spike()
    };
    assert_eq!(
        tag.sentence(),
        "Spike: 12 posts tagged flooding in the last hour, usually none"
    );
    assert_eq!(usually(0.25), "usually under 1");
}

#[test]
fn a_spike_card_lists_its_facts() {
    let v = teams_payload(&Notice::Spike(spike()));
    let facts = &v["attachments"][0]["content"]["body"][1]["facts"];
    assert_eq!(facts[0]["value"], "Thornton Heath");
    assert_eq!(facts[1]["value"], "flooding");
    assert_eq!(facts[2]["value"], "34");
    assert_eq!(facts[3]["value"], "usually 3");
}

#[test]
fn answers_are_classified() {
    assert_eq!(classify(200, None, ""), Delivery::Delivered);
    assert_eq!(classify(202, None, ""), Delivery::Delivered);
    assert!(matches!(
        classify(500, None, ""),
        Delivery::Retry { after: None, .. }
    ));
    assert!(matches!(classify(503, None, ""), Delivery::Retry { .. }));
    assert_eq!(
        classify(429, Some(Duration::from_secs(7)), "slow down"),
        Delivery::Retry {
            reason: "HTTP 429 (rate limited): slow down".into(),
            after: Some(Duration::from_secs(7)),
        }
    );
    assert_eq!(
        classify(429, Some(Duration::from_secs(86_400)), ""),
        Delivery::Retry {
            reason: "HTTP 429 (rate limited)".into(),
            after: Some(MAX_RETRY_AFTER),
        }
    );
    assert_eq!(
        classify(400, None, "Bad payload\n"),
        Delivery::Failed {
            reason: "HTTP 400: Bad payload".into()
        }
    );
    assert!(matches!(classify(404, None, ""), Delivery::Failed { .. }));
}

#[test]
fn retry_after_is_seconds_or_a_date() {
    assert_eq!(retry_after("5", 0), Some(Duration::from_secs(5)));
    // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
    assert_eq!(
        retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
        Some(Duration::ZERO)
    );
    assert_eq!(retry_after("soon", 0), None);
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let b = Backoff::DEFAULT;
    assert_eq!(b.after(1), Duration::from_secs(10));
    assert_eq!(b.after(2), Duration::from_secs(20));
    assert_eq!(b.after(4), Duration::from_secs(80));
    assert_eq!(b.after(30), Duration::from_secs(3600));
}

#[test]
fn kinds_round_trip() {
    for k in ChannelKind::ALL {
        assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(ChannelKind::parse("email"), None);
}
