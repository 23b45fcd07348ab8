//! The spike watch: every `alerts.check_interval`, count the last hour's
//! posts per place and tag against the same hour in past weeks
//! (`domain::spike`), record spikes as they begin (queuing one alert for
//! the alerts team's channels, in the same transaction) and end.
//!
//! Only places and tags with at least `spike_min_posts` posts in the last
//! hour, and those with a spike open, are looked at: a handful of indexed
//! counts per check however big the store is (`benches/desk.rs`).

use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use url::Url;

use crate::config::AlertsConfig;
use crate::domain::channel::SpikeNotice;
use crate::domain::spike::{Baseline, Facet, SpikeRule, Step, Window, step};
use crate::store::{Spike, Store, StoreError};

/// Checks for spikes.
#[derive(Clone)]
pub struct SpikeWatch {
    store: Store,
    rule: SpikeRule,
    /// The team whose channels are told.
    team: Option<String>,
    /// Where the desk is, for links in alerts.
    desk: Url,
}

/// What one check did, by place or tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    pub begun: Vec<String>,
    pub ended: Vec<String>,
}

impl SpikeWatch {
    pub fn new(store: Store, alerts: &AlertsConfig, desk: Url) -> SpikeWatch {
        SpikeWatch {
            store,
            rule: alerts.rule,
            team: alerts.team.clone(),
            desk,
        }
    }

    /// One check at `now`.
    pub async fn check(&self, now: OffsetDateTime) -> Result<Check, StoreError> {
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let earliest = self.store.earliest_item_ms().await?;
        let (current, baseline) = self.rule.baseline(now_ms, earliest);
        let busy = self
            .store
            .busy_subjects(current, self.rule.min_posts)
            .await?;
        let open = self.store.open_spikes().await?;
        let mut done = Check::default();
        for subject in &busy {
            let spike = open
                .iter()
                .find(|s| s.facet == subject.facet && s.value == subject.value);
            self.decide(
                subject.facet,
                &subject.value,
                subject.count,
                spike,
                current,
                &baseline,
                &mut done,
            )
            .await?;
        }
        for spike in &open {
            if busy
                .iter()
                .any(|b| b.facet == spike.facet && b.value == spike.value)
            {
                continue;
            }
            let count = self
                .store
                .subject_count(spike.facet, &spike.value, current)
                .await?;
            self.decide(
                spike.facet,
                &spike.value,
                count,
                Some(spike),
                current,
                &baseline,
                &mut done,
            )
            .await?;
        }
        Ok(done)
    }

    #[allow(clippy::too_many_arguments)]
    async fn decide(
        &self,
        facet: Facet,
        value: &str,
        count: u64,
        open: Option<&Spike>,
        current: Window,
        baseline: &Baseline,
        done: &mut Check,
    ) -> Result<(), StoreError> {
        let mut counts = Vec::with_capacity(baseline.windows().len());
        for w in baseline.windows() {
            counts.push(self.store.subject_count(facet, value, *w).await?);
        }
        let usual = baseline.usual(&counts);
        match step(open.is_some(), self.rule.is_spike(count, usual)) {
            Step::Begin => {
                let headline = match facet {
                    Facet::Place => self.store.top_tag(value, current).await?,
                    Facet::Tag => None,
                };
                let notice = SpikeNotice {
                    subject: value.to_string(),
                    is_tag: facet == Facet::Tag,
                    headline,
                    count,
                    usual,
                    link: inbox_link(&self.desk, facet, value),
                };
                let team_id = match &self.team {
                    Some(name) => self.store.team(name).await?.map(|t| t.id),
                    None => None,
                };
                if self
                    .store
                    .begin_spike(facet, &notice, team_id)
                    .await?
                    .is_some()
                {
                    info!(
                        spike.facet = facet.as_str(),
                        spike.value = %value,
                        spike.count = count,
                        spike.usual = usual,
                        "spike began"
                    );
                    done.begun.push(value.to_string());
                }
            }
            Step::Continue => {
                let spike = open.expect("continuing an open spike");
                if count != spike.count {
                    self.store.spike_continues(spike.id, count).await?;
                }
            }
            Step::End => {
                let spike = open.expect("ending an open spike");
                self.store.end_spike(spike.id).await?;
                info!(spike.facet = facet.as_str(), spike.value = %value, "spike ended");
                done.ended.push(value.to_string());
            }
            Step::Quiet => {}
        }
        Ok(())
    }

    /// Checks every `every` until `stop`.
    pub async fn run_until_stopped(self, every: Duration, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            if let Err(e) = self.check(OffsetDateTime::now_utc()).await {
                warn!(
                    error = format!("{:#}", anyhow::Error::new(e)),
                    "spike check failed"
                );
            }
        }
    }
}

/// The desk's inbox filtered to a place or tag: `/?place=Thornton+Heath`.
pub fn inbox_link(desk: &Url, facet: Facet, value: &str) -> String {
    let mut url = desk.clone();
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.query_pairs_mut().append_pair(facet.as_str(), value);
    url.to_string()
}
