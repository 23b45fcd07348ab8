//! The work lease's rules, free of I/O (the store keeps the lease, the
//! `replica` module holds it).
//!
//! Every replica serves the desk; one at a time does the work that must
//! happen once (polling X, sending replies and referrals). It holds the
//! lease for [`Timing::ttl`] from its last renewal, by the database's clock,
//! and renews it every [`Timing::renew_every`]. A holder that cannot renew
//! stops working at [`Timing::stop_after`] from when it *sent* its last
//! successful renewal, by its own clock: earlier than the database can let
//! another replica in (the renewal reached the database after it was sent,
//! so the lease runs at least `ttl` from then), whatever the two clocks
//! read, with [`Timing::margin`] for stopping. A replica that dies stops
//! renewing, and the lease is free `ttl` after its last renewal: the others
//! try every `renew_every`, so one takes over within `ttl + renew_every`.

use std::time::Duration;

/// The lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The holder's stable name: its host and data directory.
    pub replica: String,
    /// The holding process, for people (host, pid).
    pub process: String,
    /// Counts the times the lease changed hands (or was taken anew).
    pub term: i64,
    /// Unix milliseconds, the database's clock.
    pub acquired_at_ms: i64,
    pub renewed_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Who is asking for the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant<'a> {
    pub replica: &'a str,
    pub process: &'a str,
}

/// What a claim does, given the lease as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The claimant's process holds it: renewed, same term.
    Renew { term: i64 },
    /// Free (never held, expired, or `force`d): a new term for the
    /// claimant. `previous` is the replica that held it last, if any.
    Take { term: i64, previous: Option<String> },
    /// Another process holds it until it expires.
    Refuse,
}

/// The decision of a claim at `now_ms` (the database's clock).
///
/// A lease left by an earlier process of the same replica (its host and
/// data directory) is taken at once: the claimant holds the data
/// directory's daemon lock, so that process is gone (killed, or crashed),
/// and a restarted daemon need not wait for its own lease to expire.
/// `force` takes the lease whoever holds it: only for a store that one
/// process can open at a time (a SQLite file, behind the daemon lock).
pub fn decide(current: Option<&Holding>, me: &Claimant<'_>, now_ms: i64, force: bool) -> Decision {
    let Some(current) = current else {
        return Decision::Take {
            term: 1,
            previous: None,
        };
    };
    let live = current.expires_at_ms > now_ms;
    let same_replica = current.replica == me.replica;
    if live && same_replica && current.process == me.process {
        Decision::Renew { term: current.term }
    } else if !live || force || same_replica {
        Decision::Take {
            term: current.term + 1,
            previous: Some(current.replica.clone()),
        }
    } else {
        Decision::Refuse
    }
}

/// How long the lease lasts and how it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a claim or renewal holds the lease, by the database's clock.
    pub ttl: Duration,
}

impl Timing {
    /// The default: a dead holder's work resumes elsewhere within 18 s.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(15);

    /// How often the holder renews and the others try to take it: five
    /// times a lease, so a renewal or two can fail (a busy database, a
    /// dropped connection) without losing it.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 5
    }

    /// The time a holder keeps for stopping its work (letting a page or a
    /// send in flight finish, or abandoning it) before the lease can pass.
    pub fn margin(&self) -> Duration {
        self.ttl / 3
    }

    /// How long after sending its last successful renewal a holder may go
    /// on working.
    pub fn stop_after(&self) -> Duration {
        self.ttl - self.margin()
    }

    /// The longest a dead holder's work waits for another replica.
    pub fn takeover_within(&self) -> Duration {
        self.ttl + self.renew_every()
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ttl: Self::DEFAULT_TTL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holding(replica: &str, process: &str, term: i64, expires_at_ms: i64) -> Holding {
        Holding {
            replica: replica.into(),
            process: process.into(),
            term,
            acquired_at_ms: 0,
            renewed_at_ms: 0,
            expires_at_ms,
        }
    }

    const WEB1: Claimant<'static> = Claimant {
        replica: "web-1:/var/lib/placewatch",
        process: "web-1 pid 100",
    };

    #[test]
    fn a_lease_never_held_is_taken_as_the_first_term() {
        assert_eq!(
            decide(None, &WEB1, 5_000, false),
            Decision::Take {
                term: 1,
                previous: None
            }
        );
    }

    #[test]
    fn the_holder_renews_within_its_term_and_starts_a_new_one_after_it_lapsed() {
        let mine = holding(WEB1.replica, WEB1.process, 7, 10_000);
        assert_eq!(
            decide(Some(&mine), &WEB1, 9_999, false),
            Decision::Renew { term: 7 }
        );
        // Lapsed: it stopped working meanwhile, so this is a new term.
        assert_eq!(
            decide(Some(&mine), &WEB1, 10_000, false),
            Decision::Take {
                term: 8,
                previous: Some(WEB1.replica.into())
            }
        );
    }

    #[test]
    fn another_holder_is_refused_until_its_lease_expires() {
        let theirs = holding("web-2:/var/lib/placewatch", "web-2 pid 7", 3, 10_000);
        assert_eq!(decide(Some(&theirs), &WEB1, 9_999, false), Decision::Refuse);
        assert_eq!(
            decide(Some(&theirs), &WEB1, 10_001, false),
            Decision::Take {
                term: 4,
                previous: Some("web-2:/var/lib/placewatch".into())
            }
        );
    }

    #[test]
    fn a_restarted_process_of_the_same_replica_takes_its_lease_at_once() {
        // The daemon lock of the replica's data directory proves the
        // process before the restart is gone.
        let before_restart = holding(WEB1.replica, "web-1 pid 99", 2, 10_000);
        assert_eq!(
            decide(Some(&before_restart), &WEB1, 5_000, false),
            Decision::Take {
                term: 3,
                previous: Some(WEB1.replica.into())
            }
        );
        // Another replica's live lease is taken only by force.
        let theirs = holding("web-2:/srv/pw", "web-2 pid 7", 2, 10_000);
        assert_eq!(decide(Some(&theirs), &WEB1, 5_000, false), Decision::Refuse);
        assert_eq!(
            decide(Some(&theirs), &WEB1, 5_000, true),
            Decision::Take {
                term: 3,
                previous: Some("web-2:/srv/pw".into())
            }
        );
    }

    #[test]
    fn a_holder_stops_before_the_lease_can_pass_and_a_dead_one_is_replaced_within_the_bound() {
        let t = Timing::default();
        assert!(t.stop_after() + t.margin() <= t.ttl);
        assert!(
            t.renew_every() * 3 < t.stop_after(),
            "two renewals may fail"
        );
        assert!(t.takeover_within() <= Duration::from_secs(30));
        let quick = Timing {
            ttl: Duration::from_secs(3),
        };
        assert_eq!(quick.stop_after(), Duration::from_secs(2));
    }
}
