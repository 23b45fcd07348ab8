//! Unit tests for the generator: determinism, the mix, the cast, targets,
//! hostile text and the templates themselves.

use std::collections::{HashMap, HashSet, VecDeque};

use super::*;

const COUNCIL: &str = "yourcroydon";

fn places() -> Vec<String> {
    [
        "Croydon",
        "East Croydon",
        "West Croydon",
        "Thornton Heath",
        "Purley",
        "South Norwood",
    ]
    .map(String::from)
    .to_vec()
}

/// Drives a generator the way the server does: a window of the last 200
/// posts, every 40th post the council's own. `check` sees each post with the
/// window it was generated from.
fn simulate(
    generator: &mut Generator,
    n: usize,
    mut check: impl FnMut(&GeneratedPost, &[RecentPost]),
) {
    let mut recent: VecDeque<RecentPost> = VecDeque::new();
    for id in 1..=n as u64 {
        let (username, by_council) = if id % 40 == 7 {
            (COUNCIL.to_string(), true)
        } else {
            let window: Vec<RecentPost> = recent.iter().cloned().collect();
            let post = generator.next_post(&window);
            check(&post, &window);
            (generator.residents()[post.author].username.clone(), false)
        };
        recent.push_back(RecentPost {
            id,
            author_username: username,
            by_council,
        });
        if recent.len() > 200 {
            recent.pop_front();
        }
    }
}

fn generate(seed: u64, n: usize) -> Vec<GeneratedPost> {
    let mut generator = Generator::new(seed, &places(), COUNCIL);
    let mut posts = Vec::new();
    simulate(&mut generator, n, |p, _| posts.push(p.clone()));
    posts
}

/// Approximate twitter-text weighting: URLs count 23, Latin-ish characters
/// 1, everything else (CJK, emoji) 2.
fn weighted_len(text: &str) -> usize {
    text.split(' ')
        .map(|word| {
            if word.starts_with("https://") {
                23
            } else {
                word.chars()
                    .map(|c| match c as u32 {
                        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
                        _ => 2,
                    })
                    .sum()
            }
        })
        .sum::<usize>()
        + text.matches(' ').count()
}

fn mentions_place(text: &str) -> bool {
    let squash = |s: &str| s.to_lowercase().replace([' ', '\''], "");
    let text = squash(text);
    places().iter().any(|p| text.contains(&squash(p)))
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

#[test]
fn same_seed_same_posts() {
    let a = generate(7, 3_000);
    let b = generate(7, 3_000);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    let ra = Generator::new(7, &places(), COUNCIL);
    let rb = Generator::new(7, &places(), COUNCIL);
    assert_eq!(
        format!("{:?}", ra.residents()),
        format!("{:?}", rb.residents())
    );
}

#[test]
fn different_seeds_differ() {
    let a = generate(1, 200);
    let b = generate(2, 200);
    let same = a.iter().zip(&b).filter(|(x, y)| x.text == y.text).count();
    assert!(same < 20, "{same} of 200 posts identical");
    let ua: Vec<_> = Generator::new(1, &places(), COUNCIL)
        .residents()
        .iter()
        .map(|r| r.username.clone())
        .collect();
    let ub: Vec<_> = Generator::new(2, &places(), COUNCIL)
        .residents()
        .iter()
        .map(|r| r.username.clone())
        .collect();
    assert_ne!(ua, ub);
}

#[test]
fn the_mix_is_roughly_as_intended() {
    let posts = generate(42, 10_000);
    let mut counts: HashMap<PostKind, usize> = HashMap::new();
    for p in &posts {
        *counts.entry(p.kind).or_default() += 1;
    }
    let total = posts.len() as f64;
    for &(kind, weight) in KIND_WEIGHTS {
        let share = counts.get(&kind).copied().unwrap_or(0) as f64 / total;
        let want = f64::from(weight) / f64::from(KIND_WEIGHTS.iter().map(|k| k.1).sum::<u32>());
        assert!(
            share > want * 0.6 && share < want * 1.5,
            "{kind:?}: {share:.3} of posts, wanted about {want:.3}"
        );
    }
}

#[test]
fn every_kind_appears_in_ten_thousand_posts() {
    let kinds: HashSet<PostKind> = generate(3, 10_000).iter().map(|p| p.kind).collect();
    assert_eq!(kinds.len(), KIND_WEIGHTS.len(), "{kinds:?}");
}

#[test]
fn usernames_are_valid_and_unique() {
    for seed in 0..20 {
        let generator = Generator::new(seed, &places(), COUNCIL);
        let residents = generator.residents();
        assert!((250..=350).contains(&residents.len()));
        let mut seen = HashSet::new();
        for r in residents {
            let u = &r.username;
            assert!((1..=15).contains(&u.len()), "{u}");
            assert!(
                u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{u}"
            );
            assert!(seen.insert(u.to_ascii_lowercase()), "duplicate {u}");
            assert!(!r.name.trim().is_empty());
        }
        assert!(!seen.contains(COUNCIL));
        assert!(residents.iter().any(|r| r.verified));
        assert!(residents.iter().any(|r| r.protected));
        assert!(residents.iter().any(|r| r.location.is_none()));
        assert!(residents.iter().any(|r| {
            r.location
                .as_deref()
                .is_some_and(|l| l.contains("Victoria"))
                || r.location
                    .as_deref()
                    .is_some_and(|l| l.contains("Melbourne"))
        }));
    }
}

#[test]
fn targets_come_from_the_recent_window_and_never_from_oneself() {
    let mut generator = Generator::new(11, &places(), COUNCIL);
    let names: Vec<String> = generator
        .residents()
        .iter()
        .map(|r| r.username.clone())
        .collect();
    let mut targeted = 0;
    simulate(&mut generator, 10_000, |post, window| {
        let Some(Target::Reply(id) | Target::Quote(id) | Target::Retweet(id)) = post.target else {
            let answers = [
                PostKind::QuotesCouncil,
                PostKind::ConversationReply,
                PostKind::Retweet,
            ];
            assert!(
                !answers.contains(&post.kind),
                "{:?} without a target",
                post.kind
            );
            return;
        };
        targeted += 1;
        let target = window
            .iter()
            .find(|r| r.id == id)
            .expect("target is in the window");
        assert_ne!(target.author_username, names[post.author], "answers itself");
        match (&post.target, post.kind) {
            (Some(Target::Quote(_)), PostKind::QuotesCouncil) => assert!(target.by_council),
            (Some(Target::Reply(_)), PostKind::ConversationReply) => {}
            (Some(Target::Retweet(_)), PostKind::Retweet) => {
                assert!(
                    post.text
                        .starts_with(&format!("RT @{}: ", target.author_username))
                );
            }
            (t, kind) => panic!("{kind:?} with {t:?}"),
        }
    });
    assert!(targeted > 1_000, "{targeted}");
}

#[test]
fn without_recent_posts_nothing_is_targeted() {
    let mut generator = Generator::new(9, &places(), COUNCIL);
    for _ in 0..2_000 {
        let post = generator.next_post(&[]);
        assert!(post.target.is_none());
        assert!(!matches!(
            post.kind,
            PostKind::QuotesCouncil | PostKind::ConversationReply | PostKind::Retweet
        ));
    }
}

#[test]
fn hostile_posts_are_hostile() {
    let posts = generate(13, 10_000);
    let hostile: Vec<&GeneratedPost> = posts
        .iter()
        .filter(|p| p.kind == PostKind::Hostile)
        .collect();
    assert!(hostile.len() > 150);
    for p in &hostile {
        let t = &p.text;
        let odd = t.contains('<')
            || t.contains("javascript:")
            || t.contains("DROP TABLE")
            || t.chars().any(|c| !c.is_ascii() || c.is_ascii_control())
            || t.chars().count() > 270;
        assert!(odd, "not hostile: {t}");
    }
    let any = |f: &dyn Fn(&str) -> bool| hostile.iter().any(|p| f(&p.text));
    assert!(any(&|t| t.contains("<script>alert(1)</script>")));
    assert!(any(&|t| t.contains("onerror=")));
    assert!(any(&|t| t.contains('\u{202E}')));
    assert!(any(&|t| t.contains('\u{200B}')));
    assert!(any(&|t| t.contains('\u{200D}')));
    assert!(
        any(&|t| t.chars().any(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c))),
        "flags"
    );
    assert!(any(&|t| t.chars().any(is_cjk)));
    assert!(any(&|t| t
        .split(' ')
        .any(|w| w.starts_with("https://") && w.len() >= 1_500)));
    assert!(any(&|t| t.len() >= 3_800));
    assert!(any(&|t| (270..=280).contains(&weighted_len(t))));
    assert!(any(&|t| (281..=300).contains(&weighted_len(t))));
}

#[test]
fn every_hostile_variant_builds() {
    let g = Generator::new(1, &places(), COUNCIL);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for v in 0..hostile::VARIANTS {
        let (text, lang) = hostile::build_variant(&mut Writer::new(&mut rng, &g.world), v);
        assert!(!text.is_empty() && !lang.is_empty(), "variant {v}");
    }
}

#[test]
fn texts_are_well_formed() {
    let codes = [
        "en", "cy", "pl", "ro", "pt", "es", "fr", "ur", "zh", "ta", "und",
    ];
    for p in generate(21, 10_000) {
        assert!(!p.text.trim().is_empty());
        assert!(codes.contains(&p.lang), "{}", p.lang);
        assert!(["everyone", "mentionedUsers", "following"].contains(&p.reply_settings));
        assert!(
            [
                "Twitter for iPhone",
                "Twitter for Android",
                "Twitter Web App"
            ]
            .contains(&p.source)
        );
        if p.kind != PostKind::Hostile {
            assert!(p.text.chars().count() <= 280, "too long: {}", p.text);
            assert!(!p.text.contains('{'), "unfilled slot: {}", p.text);
        }
        match p.kind {
            PostKind::Noise => assert!(!mentions_place(&p.text), "noise names a place: {}", p.text),
            PostKind::Welsh => assert_eq!(p.lang, "cy"),
            PostKind::OtherLanguage => assert!(!["en", "cy"].contains(&p.lang)),
            PostKind::MentionsCouncil => assert!(p.text.to_lowercase().contains("@yourcroydon")),
            PostKind::ConversationReply | PostKind::Hostile => {}
            _ => assert!(
                mentions_place(&p.text),
                "{:?} names no place: {}",
                p.kind,
                p.text
            ),
        }
        if p.lang == "zh" {
            assert!(p.text.chars().any(is_cjk));
        }
        if p.lang == "ur" {
            assert!(
                p.text
                    .chars()
                    .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
            );
        }
    }
}

#[test]
fn false_friends_come_from_the_other_croydons_too() {
    let mut generator = Generator::new(17, &places(), COUNCIL);
    let abroad = ["PA", "Victoria", "VIC", "NSW", "Australia", "Sydney"];
    let mut from_abroad = 0;
    for _ in 0..10_000 {
        let p = generator.next_post(&[]);
        let location = generator.residents()[p.author]
            .location
            .clone()
            .unwrap_or_default();
        if p.kind == PostKind::FalseFriend && abroad.iter().any(|a| location.contains(a)) {
            from_abroad += 1;
        }
    }
    assert!(from_abroad > 100, "{from_abroad}");
}

#[test]
fn place_names_vary_in_case_and_form() {
    let texts: Vec<String> = generate(8, 5_000).into_iter().map(|p| p.text).collect();
    for form in [
        "Croydon",
        "croydon",
        "CROYDON",
        "#Croydon",
        "Croydon's",
        "#ThorntonHeath",
    ] {
        assert!(texts.iter().any(|t| t.contains(form)), "{form}");
    }
    assert!(texts.iter().any(|t| t.contains("https://")));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("croydon.gov.uk") && !t.contains("https://www.croydon"))
    );
}

#[test]
fn all_templates_fill_and_there_are_plenty() {
    let g = Generator::new(1, &places(), COUNCIL);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut tables: Vec<&[&str]> = vec![
        phrases::COMPLAINT,
        phrases::PRAISE,
        phrases::LOST_PROPERTY,
        phrases::TRANSPORT,
        phrases::EVENT,
        phrases::QUESTION,
        phrases::ABUSE,
        phrases::MENTIONS_COUNCIL,
        phrases::QUOTES_COUNCIL,
        phrases::CONVERSATION,
        phrases::COUNCIL_ANNOUNCEMENTS,
        phrases::NOISE,
        languages::WELSH,
    ];
    tables.extend(languages::OTHER.iter().map(|l| l.templates));
    let false_friends: Vec<&str> = languages::FALSE_FRIENDS.iter().map(|f| f.1).collect();
    tables.push(&false_friends);
    let mut count = hostile::VARIANTS;
    for table in tables {
        for template in table {
            let text = Writer::new(&mut rng, &g.world).render(template);
            assert!(
                !text.contains('{') && !text.contains('}'),
                "unknown slot in {template}"
            );
            count += 1;
        }
    }
    assert!(count >= 150, "only {count} templates");
}

#[test]
fn templates_about_the_area_name_a_place() {
    let tables: [&[&str]; 11] = [
        phrases::COMPLAINT,
        phrases::PRAISE,
        phrases::LOST_PROPERTY,
        phrases::TRANSPORT,
        phrases::EVENT,
        phrases::QUESTION,
        phrases::ABUSE,
        phrases::MENTIONS_COUNCIL,
        phrases::QUOTES_COUNCIL,
        phrases::COUNCIL_ANNOUNCEMENTS,
        languages::WELSH,
    ];
    let names_place = |t: &str| {
        t.contains("{place")
            || t.contains("{#place}")
            || t.contains("{at}")
            || t.contains("{councilname}")
            || t.contains("Croydon")
    };
    for template in tables.into_iter().flatten() {
        assert!(names_place(template), "{template}");
    }
    for language in languages::OTHER {
        assert!(
            language.templates.iter().all(|t| names_place(t)),
            "{}",
            language.code
        );
    }
    for (_, template) in languages::FALSE_FRIENDS {
        assert!(template.contains("{ff}"), "{template}");
    }
}

#[test]
fn empty_places_and_at_handles_are_handled() {
    let mut g = Generator::new(4, &[], "@yourcroydon");
    assert!(
        g.residents()
            .iter()
            .all(|r| !r.username.eq_ignore_ascii_case("yourcroydon"))
    );
    for _ in 0..500 {
        let p = g.next_post(&[]);
        assert!(!p.text.is_empty());
        assert!(!p.text.contains("@@"));
    }
}
