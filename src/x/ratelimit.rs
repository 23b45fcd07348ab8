//! X's rate-limit headers, parsed in one place: the 15-minute window
//! (`x-rate-limit-*`) on every response, and the 24-hour app and user limits
//! (`x-app-limit-24hour-*`, `x-user-limit-24hour-*`) on endpoints with daily caps.

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

/// One limit window as the headers describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub limit: u64,
    pub remaining: u64,
    /// When the window resets, in Unix seconds.
    pub reset: i64,
}

/// Every limit a response reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimits {
    pub window: Option<Window>,
    pub app_day: Option<Window>,
    pub user_day: Option<Window>,
}

/// Which limit a 429 hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The 15-minute window.
    FifteenMinutes,
    /// The 24-hour app or user limit.
    Day,
    /// Not identifiable from the headers (for example an app-level limit that
    /// left the 15-minute window healthy).
    Unknown,
}

impl RateLimits {
    pub fn from_headers(headers: &HeaderMap) -> RateLimits {
        RateLimits {
            window: window(headers, "x-rate-limit"),
            app_day: window(headers, "x-app-limit-24hour"),
            user_day: window(headers, "x-user-limit-24hour"),
        }
    }

    /// For a 429: which limit is spent and when to try again (Unix seconds).
    pub fn exhausted(&self) -> (LimitKind, Option<i64>) {
        let spent = |w: &Option<Window>| w.filter(|w| w.remaining == 0);
        let day = spent(&self.app_day)
            .into_iter()
            .chain(spent(&self.user_day))
            .map(|w| w.reset)
            .max();
        if let Some(reset) = day {
            return (LimitKind::Day, Some(reset));
        }
        if let Some(w) = spent(&self.window) {
            return (LimitKind::FifteenMinutes, Some(w.reset));
        }
        (LimitKind::Unknown, self.window.map(|w| w.reset))
    }
}

fn window(headers: &HeaderMap, prefix: &str) -> Option<Window> {
    let get = |suffix: &str| -> Option<i64> {
        headers
            .get(format!("{prefix}-{suffix}"))?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    Some(Window {
        limit: get("limit")?.try_into().ok()?,
        remaining: get("remaining")?.try_into().ok()?,
        reset: get("reset")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn parses_both_windows() {
        let h = headers(&[
            ("x-rate-limit-limit", "100"),
            ("x-rate-limit-remaining", "99"),
            ("x-rate-limit-reset", "1700000900"),
            ("x-user-limit-24hour-limit", "2400"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", "1700086400"),
        ]);
        let r = RateLimits::from_headers(&h);
        assert_eq!(r.window.unwrap().remaining, 99);
        assert_eq!(r.exhausted(), (LimitKind::Day, Some(1_700_086_400)));
        assert!(r.app_day.is_none());
    }

    #[test]
    fn fifteen_minute_and_unknown() {
        let spent = headers(&[
            ("x-rate-limit-limit", "450"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000900"),
        ]);
        let healthy = headers(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "49"),
            ("x-rate-limit-reset", "1700000900"),
        ]);
        assert_eq!(
            RateLimits::from_headers(&spent).exhausted(),
            (LimitKind::FifteenMinutes, Some(1_700_000_900))
        );
        assert_eq!(
            RateLimits::from_headers(&healthy).exhausted().0,
            LimitKind::Unknown
        );
        assert_eq!(
            RateLimits::from_headers(&HeaderMap::new()),
            RateLimits::default()
        );
    }
}
