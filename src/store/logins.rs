//! The login throttle's attempts (`domain::login` has the rule), kept in
//! the store so that every replica counts the same attempts: an attempt is
//! checked against the window and recorded in one write transaction, at
//! the database's clock.

use std::time::Duration;

use super::dialect::now_ms;
use super::{Store, StoreError};
use crate::domain::login::{self, GOOD_ADDRESS_FOR, WINDOW, address_key, user_key};

/// An attempt allowed to check a password. It stays counted as a failure
/// unless [`Store::release_login`] or [`Store::login_succeeded`] takes it back.
#[derive(Debug)]
pub struct LoginAttempt {
    username: String,
    address: String,
    /// Its rows in `login_attempts` (the username's, the address's).
    ids: [i64; 2],
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Checks and counts an attempt of `username` from `address` in one
    /// step: the attempt, or how long until one is allowed.
    pub async fn reserve_login(
        &self,
        username: &str,
        address: &str,
    ) -> Result<Result<LoginAttempt, Duration>, StoreError> {
        let (user, ip) = (user_key(username), address_key(address));
        let mut tx = self.begin_write().await?;
        let now: i64 = sqlx::query_scalar(&format!("SELECT {} AS now", now_ms(self.engine)))
            .fetch_one(&mut *tx)
            .await?;
        // Attempts out of the window, and old good addresses, go.
        sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
            .bind(now - ms(WINDOW))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_good_addresses WHERE at <= $1")
            .bind(now - ms(GOOD_ADDRESS_FOR))
            .execute(&mut *tx)
            .await?;
        let times = |key: String| {
            sqlx::query_scalar::<_, i64>("SELECT at FROM login_attempts WHERE key = $1 ORDER BY at")
                .bind(key)
        };
        let user_times = times(user.clone()).fetch_all(&mut *tx).await?;
        let address_times = times(ip.clone()).fetch_all(&mut *tx).await?;
        let good: Option<i64> =
            sqlx::query_scalar("SELECT at FROM login_good_addresses WHERE address = $1")
                .bind(address)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(wait) = login::wait(&user_times, &address_times, good.is_some(), now) {
            tx.commit().await?;
            return Ok(Err(wait));
        }
        let mut ids = [0; 2];
        for (id, key) in ids.iter_mut().zip([user, ip]) {
            *id = sqlx::query_scalar(
                "INSERT INTO login_attempts (key, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(LoginAttempt {
            username: username.to_owned(),
            address: address.to_owned(),
            ids,
        }))
    }

    /// Takes back an attempt whose password was never checked.
    pub async fn release_login(&self, attempt: LoginAttempt) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_attempts WHERE id = $1 OR id = $2")
            .bind(attempt.ids[0])
            .bind(attempt.ids[1])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The attempt logged in: the username's failures are forgiven, the
    /// attempt is not counted against the address, and the address is
    /// known good for a while.
    pub async fn login_succeeded(&self, attempt: LoginAttempt) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_attempts WHERE key = $1 OR id = $2")
            .bind(user_key(&attempt.username))
            .bind(attempt.ids[1])
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO login_good_addresses (address, at) VALUES ($1, {now}) \
             ON CONFLICT (address) DO UPDATE SET at = excluded.at",
            now = now_ms(self.engine)
        ))
        .bind(&attempt.address)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
