//! The login throttle's rule, free of I/O: attempts in a sliding window,
//! per username and per address. The store keeps the attempts (so every
//! replica counts the same ones) and applies this rule to them in the
//! transaction that records a new attempt.
//!
//! An attempt is counted *before* its password is checked, so a burst of
//! simultaneous attempts gets no more checks than the limit allows; a
//! successful login takes its attempt back and clears the username's
//! count. The per-address limit locks an address out, except for an
//! address where an officer logged in successfully lately (an office behind
//! one NAT, or a proxy not configured as trusted): there it slows attempts
//! down to one per [`SLOW_DOWN`] instead, so one officer's typos or an
//! attacker next door cannot lock the whole team out.

use std::time::Duration;

/// How long an attempt counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts per username in the window.
pub const PER_USERNAME: usize = 5;
/// Attempts per address in the window.
pub const PER_ADDRESS: usize = 20;
/// Beyond its limit, an address with a recent good login gets one attempt this often.
pub const SLOW_DOWN: Duration = Duration::from_secs(5);
/// How long a good login vouches for its address.
pub const GOOD_ADDRESS_FOR: Duration = Duration::from_secs(12 * 3600);

/// The throttle's key of a username's attempts.
pub fn user_key(username: &str) -> String {
    format!("user:{username}")
}

/// The throttle's key of an address's attempts.
pub fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long until another attempt is allowed, or `None` if one is now.
/// `user` and `address` are the times (Unix milliseconds, oldest first) of
/// the attempts in the window; `good_address`: an officer logged in from
/// the address within [`GOOD_ADDRESS_FOR`].
pub fn wait(user: &[i64], address: &[i64], good_address: bool, now_ms: i64) -> Option<Duration> {
    // When the oldest attempt that must leave the window before another fits leaves it.
    let expiry = |times: &[i64], limit: usize| {
        let oldest = times[times.len() - limit];
        ms(WINDOW).saturating_sub(now_ms.saturating_sub(oldest))
    };
    let mut wait_ms = 0;
    if user.len() >= PER_USERNAME {
        wait_ms = expiry(user, PER_USERNAME);
    }
    if address.len() >= PER_ADDRESS {
        let address_wait = if good_address {
            let last = *address.last().expect("over the limit, so not empty");
            ms(SLOW_DOWN).saturating_sub(now_ms.saturating_sub(last))
        } else {
            expiry(address, PER_ADDRESS)
        };
        wait_ms = wait_ms.max(address_wait);
    }
    (wait_ms > 0).then(|| Duration::from_millis(wait_ms.unsigned_abs()).max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_username_is_locked_after_five_attempts_until_the_oldest_leaves_the_window() {
        let five = [NOW - 60_000, NOW - 50_000, NOW - 40_000, NOW - 30_000, NOW];
        assert_eq!(wait(&five[..4], &[], false, NOW), None);
        let locked = wait(&five, &[], false, NOW).expect("locked");
        assert_eq!(locked, WINDOW - Duration::from_secs(60));
        assert_eq!(wait(&five, &[], false, NOW - 60_000 + ms(WINDOW)), None);
    }

    #[test]
    fn an_address_is_locked_out_unless_it_logged_in_lately_then_slowed_down() {
        let twenty: Vec<i64> = (0..20).map(|n| NOW - 20_000 + n * 1_000).collect();
        let stranger = wait(&[], &twenty, false, NOW).expect("locked out");
        assert!(stranger > Duration::from_secs(14 * 60));
        // The office: one attempt per SLOW_DOWN after its last.
        assert_eq!(
            wait(&[], &twenty, true, NOW),
            Some(Duration::from_secs(4)),
            "the last attempt was 1 s ago"
        );
        assert_eq!(wait(&[], &twenty, true, NOW + 4_000), None);
    }

    #[test]
    fn a_wait_is_at_least_a_second() {
        let five = [NOW - ms(WINDOW) + 10, NOW, NOW, NOW, NOW];
        assert_eq!(wait(&five, &[], false, NOW), Some(Duration::from_secs(1)));
    }
}
