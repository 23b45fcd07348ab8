//! Spike checks on a real store at a fixed time: the threshold against the
//! same hour in past weeks, one alert per spike, and its end.

use std::time::Duration;

use placewatch::channels::spikes::SpikeWatch;
use placewatch::config::AlertsConfig;
use placewatch::domain::outbox::snowflake_floor;
use placewatch::domain::spike::{SpikeRule, WEEK_MS};
use time::OffsetDateTime;
use time::macros::datetime;

use super::store_with_team;
use crate::store::{TestStore, batch, matched, post};

const NOW: OffsetDateTime = datetime!(2026-11-26 10:00 UTC);
const MINUTE_MS: i64 = 60_000;

fn now_ms() -> i64 {
    (NOW.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Files `n` posts about `place` made at `at_ms` (ids one apart).
async fn file(t: &TestStore, monitor: &str, at_ms: i64, n: u64, place: &str) {
    let posts = (0..n)
        .map(|i| {
            matched(
                post(snowflake_floor(at_ms) + i, "Water everywhere"),
                &[place],
            )
        })
        .collect();
    t.store.record_pages(&batch(monitor, posts)).await.unwrap();
}

/// A store five weeks old with `usual` posts about Thornton Heath in this
/// hour of each of the last four weeks, and a watch alerting "Streets".
async fn history(usual: u64) -> (TestStore, SpikeWatch) {
    let (t, _) = store_with_team(None, Some("STREETS_SLACK")).await;
    file(&t, "old", now_ms() - 5 * WEEK_MS, 1, "Purley").await;
    for week in 1..=4 {
        let at = now_ms() - week * WEEK_MS - 30 * MINUTE_MS;
        file(&t, &format!("week{week}"), at, usual, "Thornton Heath").await;
    }
    let alerts = AlertsConfig {
        rule: SpikeRule::default(),
        team: Some("Streets".into()),
        check_interval: Duration::from_secs(60),
    };
    let desk = "https://desk.example/".parse().unwrap();
    let watch = SpikeWatch::new(t.store.clone(), &alerts, desk);
    (t, watch)
}

#[tokio::test]
async fn a_spike_is_alerted_once_and_ends_when_the_hour_quietens() {
    let (t, watch) = history(3).await;
    // Usual 3: the threshold is max(10, 3 × 3) = 10.
    file(&t, "now", now_ms() - 10 * MINUTE_MS, 9, "Thornton Heath").await;
    assert!(watch.check(NOW).await.unwrap().begun.is_empty(), "9 < 10");
    file(&t, "now2", now_ms() - 5 * MINUTE_MS, 1, "Thornton Heath").await;
    let check = watch.check(NOW).await.unwrap();
    assert_eq!(check.begun, ["Thornton Heath"]);

    let spikes = t.store.open_spikes().await.unwrap();
    assert_eq!(spikes.len(), 1);
    assert_eq!((spikes[0].count, spikes[0].usual), (10, 3.0));
    assert!(spikes[0].alerted_at.is_some());
    let messages = t.store.channel_messages(10).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].about, "spike");
    assert_eq!(
        messages[0].payload["text"],
        "Spike: 10 posts about Thornton Heath in the last hour, usually 3 — \
         https://desk.example/?place=Thornton+Heath"
    );

    // Every further check while it lasts: no second alert.
    for minutes in [0, 1, 2] {
        let at = NOW + Duration::from_secs(60 * minutes);
        assert_eq!(watch.check(at).await.unwrap(), Default::default());
    }
    assert_eq!(t.store.channel_messages(10).await.unwrap().len(), 1);

    // 56 minutes on, the first nine posts are out of the hour: it ends.
    let later = NOW + Duration::from_secs(56 * 60);
    assert_eq!(watch.check(later).await.unwrap().ended, ["Thornton Heath"]);
    assert!(t.store.open_spikes().await.unwrap().is_empty());
    assert!(t.store.spikes(5).await.unwrap()[0].ended_at.is_some());
}

#[tokio::test]
async fn a_busy_hour_is_no_spike_when_it_is_usually_busy() {
    let (t, watch) = history(5).await;
    // Usual 5: 3 × 5 = 15 needed; 14 is an ordinary busy hour.
    file(&t, "now", now_ms() - 10 * MINUTE_MS, 14, "Thornton Heath").await;
    assert!(watch.check(NOW).await.unwrap().begun.is_empty());
    file(&t, "now2", now_ms() - 9 * MINUTE_MS, 1, "Thornton Heath").await;
    assert_eq!(watch.check(NOW).await.unwrap().begun, ["Thornton Heath"]);
    let spike = &t.store.open_spikes().await.unwrap()[0];
    assert_eq!((spike.count, spike.usual), (15, 5.0));
}

#[tokio::test]
async fn a_new_store_has_no_usual_level_and_the_minimum_decides() {
    let (t, _) = store_with_team(None, None).await;
    // Ten minutes of history: no baseline at all, so the usual level is
    // none and the minimum decides.
    file(&t, "now", now_ms() - 10 * MINUTE_MS, 10, "Purley").await;
    let alerts = AlertsConfig {
        rule: SpikeRule::default(),
        team: None,
        check_interval: Duration::from_secs(60),
    };
    let watch = SpikeWatch::new(
        t.store.clone(),
        &alerts,
        "https://d.example/".parse().unwrap(),
    );
    assert_eq!(watch.check(NOW).await.unwrap().begun, ["Purley"]);
    let spike = &t.store.open_spikes().await.unwrap()[0];
    assert_eq!(spike.usual, 0.0);
    assert!(spike.alerted_at.is_none(), "no team: the banner only");
    assert!(t.store.channel_messages(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_store_under_a_week_old_measures_against_its_hourly_average() {
    let (t, _) = store_with_team(None, None).await;
    // Three days of Croydon at five posts an hour.
    let hour = 60 * MINUTE_MS;
    for h in 2..=72 {
        let at = now_ms() - h * hour;
        file(&t, &format!("h{h}"), at, 5, "Croydon").await;
    }
    let alerts = AlertsConfig {
        rule: SpikeRule::default(),
        team: None,
        check_interval: Duration::from_secs(60),
    };
    let watch = SpikeWatch::new(
        t.store.clone(),
        &alerts,
        "https://d.example/".parse().unwrap(),
    );
    // Usually about 5: 14 in the last hour is busy, not a spike (15 is).
    file(&t, "now", now_ms() - 10 * MINUTE_MS, 14, "Croydon").await;
    assert!(watch.check(NOW).await.unwrap().begun.is_empty());
    file(&t, "now2", now_ms() - 9 * MINUTE_MS, 2, "Croydon").await;
    assert_eq!(watch.check(NOW).await.unwrap().begun, ["Croydon"]);
    let usual = t.store.open_spikes().await.unwrap()[0].usual;
    assert!((4.9..=5.1).contains(&usual), "{usual}");
}
