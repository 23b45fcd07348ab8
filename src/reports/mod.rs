//! The manager's report, made the same way wherever it is shown: the desk's
//! Reports page, `placewatch report` and the weekly email all call
//! [`report`], which takes the prices, targets and office hours from the
//! config. `weekly` sends the weekly email.

pub mod weekly;

use time::OffsetDateTime;

use crate::config::Config;
use crate::domain::report::{Measure, Period, Prices, Report, ReportSettings, WallClock};
use crate::store::{Store, StoreError};

/// What a report needs from `config`, as of `now`.
pub fn settings(config: &Config, now: OffsetDateTime) -> ReportSettings {
    ReportSettings {
        targets: config.desk.waiting_targets,
        prices: Prices {
            post_read_usd: config.budget.post_read_usd,
            owned_read_usd: config.budget.owned_read_usd,
            replies: config.budget.reply_prices(),
            monthly_usd: config.budget.monthly_usd,
        },
        now,
    }
}

/// The report for `period`, its durations counted as `measure` says
/// (office hours from `[office_hours]`, or wall-clock time); `None` takes
/// the config's `office_hours.clock`.
pub async fn report(
    store: &Store,
    config: &Config,
    period: Period,
    measure: Option<Measure>,
    now: OffsetDateTime,
) -> Result<Report, StoreError> {
    let settings = settings(config, now);
    match measure.unwrap_or_else(|| config.measure()) {
        Measure::OfficeHours => {
            store
                .report(
                    period,
                    config.office_hours(),
                    Measure::OfficeHours,
                    &settings,
                )
                .await
        }
        Measure::WallClock => {
            store
                .report(period, &WallClock, Measure::WallClock, &settings)
                .await
        }
    }
}
