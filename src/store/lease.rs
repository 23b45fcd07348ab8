//! The work lease (see `domain::lease` for its rules and the `replica`
//! module for the loop that holds it): one row per lease in `leases`,
//! claimed, renewed and released in write transactions, so two replicas'
//! claims are serialised (PostgreSQL's write lock, SQLite's single writer).
//! Times come from the database's clock, never a replica's.

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::dialect::now_ms;
use super::{Store, StoreError};
use crate::domain::lease::{Claimant, Decision, Holding, decide};

/// What a claim came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Whether the claimant holds the lease now, and in which term.
    pub term: Option<i64>,
    /// A new term began with this claim (not a renewal).
    pub new_term: bool,
    /// The replica that held it before a new term, if any.
    pub previous: Option<String>,
    /// The lease as it stands after the claim.
    pub holding: Holding,
}

fn decode(row: &AnyRow) -> Result<Holding, StoreError> {
    Ok(Holding {
        replica: row.try_get("replica")?,
        process: row.try_get("process")?,
        term: row.try_get("term")?,
        acquired_at_ms: row.try_get("acquired_at")?,
        renewed_at_ms: row.try_get("renewed_at")?,
        expires_at_ms: row.try_get("expires_at")?,
    })
}

const COLUMNS: &str = "replica, process, term, acquired_at, renewed_at, expires_at";

impl Store {
    /// Claims or renews the lease `name` for `me` for `ttl` (see
    /// [`decide`]; `force` only where one process can open the store).
    pub async fn claim_lease(
        &self,
        name: &str,
        me: &Claimant<'_>,
        ttl: Duration,
        force: bool,
    ) -> Result<Claimed, StoreError> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.begin_write().await?;
        let now: i64 = sqlx::query_scalar(&format!("SELECT {} AS now", now_ms(self.engine)))
            .fetch_one(&mut *tx)
            .await?;
        let current = sqlx::query(&format!("SELECT {COLUMNS} FROM leases WHERE name = $1"))
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(decode)
            .transpose()?;
        let expires = now.saturating_add(ttl_ms);
        let claimed = match decide(current.as_ref(), me, now, force) {
            Decision::Refuse => {
                let holding = current.expect("a refusal has a holder");
                return Ok(Claimed {
                    term: None,
                    new_term: false,
                    previous: None,
                    holding,
                });
            }
            Decision::Renew { term } => {
                sqlx::query("UPDATE leases SET renewed_at = $1, expires_at = $2 WHERE name = $3")
                    .bind(now)
                    .bind(expires)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                let acquired_at_ms = current.map_or(now, |c| c.acquired_at_ms);
                Claimed {
                    term: Some(term),
                    new_term: false,
                    previous: None,
                    holding: Holding {
                        replica: me.replica.to_owned(),
                        process: me.process.to_owned(),
                        term,
                        acquired_at_ms,
                        renewed_at_ms: now,
                        expires_at_ms: expires,
                    },
                }
            }
            Decision::Take { term, previous } => {
                sqlx::query(
                    "INSERT INTO leases (name, replica, process, term, acquired_at, renewed_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) \
                     ON CONFLICT (name) DO UPDATE SET replica = excluded.replica, \
                     process = excluded.process, term = excluded.term, \
                     acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, \
                     expires_at = excluded.expires_at",
                )
                .bind(name)
                .bind(me.replica)
                .bind(me.process)
                .bind(term)
                .bind(now)
                .bind(expires)
                .execute(&mut *tx)
                .await?;
                Claimed {
                    term: Some(term),
                    new_term: true,
                    previous,
                    holding: Holding {
                        replica: me.replica.to_owned(),
                        process: me.process.to_owned(),
                        term,
                        acquired_at_ms: now,
                        renewed_at_ms: now,
                        expires_at_ms: expires,
                    },
                }
            }
        };
        tx.commit().await?;
        Ok(claimed)
    }

    /// Gives the lease up at once if `me` holds it (a clean shutdown), so
    /// another replica need not wait for it to expire. Ends the term: the
    /// lease is left expired, with its holder for the record.
    pub async fn release_lease(&self, name: &str, me: &Claimant<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "UPDATE leases SET expires_at = {} WHERE name = $1 AND replica = $2 AND process = $3",
            now_ms(self.engine)
        ))
        .bind(name)
        .bind(me.replica)
        .bind(me.process)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lease `name` as stored, and the database's clock (Unix
    /// milliseconds) to judge it by; `None` if it was never held.
    pub async fn lease(&self, name: &str) -> Result<Option<(Holding, i64)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, {} AS now FROM leases WHERE name = $1",
            now_ms(self.engine)
        ))
        .bind(name)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| Ok((decode(&row)?, row.try_get("now")?)))
            .transpose()
    }
}
