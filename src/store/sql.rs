//! SQL built at run time for both engines: [`Sql`] numbers its placeholders
//! `$1, $2, …`, which PostgreSQL requires and SQLite binds by number, where
//! sqlx's `QueryBuilder<Any>` writes `?` (SQLite's only). Statements written
//! whole in the store's verbs number their placeholders by hand the same way.
//!
//! Only the types sqlx's `Any` driver carries may be bound: bool, i16, i32,
//! i64, f32, f64, strings, byte vectors and their `Option`s (u32 and u64 go
//! as i64).

use sqlx::any::{Any, AnyArguments};
use sqlx::query::Query;
use sqlx::{Arguments, Encode, Type};

/// A statement and its arguments, built piece by piece.
pub(super) struct Sql<'q> {
    sql: String,
    args: AnyArguments<'q>,
    /// Placeholders written so far (the last one's number).
    written: usize,
    /// The first value that could not be encoded, reported by [`Sql::build`].
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q> Sql<'q> {
    /// A statement that starts with `start`.
    pub(super) fn new(start: impl Into<String>) -> Self {
        Sql {
            sql: start.into(),
            args: AnyArguments::default(),
            written: 0,
            error: None,
        }
    }

    /// Appends SQL text as it is (never a value: values go through
    /// [`Sql::push_bind`]).
    pub(super) fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    /// Appends the next placeholder (`$n`) and binds `value` to it.
    pub(super) fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.written += 1;
        self.sql.push('$');
        self.sql.push_str(&self.written.to_string());
        if let Err(e) = self.args.add(value)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    /// Appends `$n, $n+1, …`, one placeholder per value, each bound to it
    /// (nothing for no values: callers that may have none say what an
    /// empty list means before they get here).
    pub(super) fn push_list<T, I>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        for (n, value) in values.into_iter().enumerate() {
            if n > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// The statement's text so far.
    #[cfg(test)]
    pub(super) fn sql(&self) -> &str {
        &self.sql
    }

    /// The query to run, with every value bound; the arguments move into
    /// it, so a builder builds once.
    pub(super) fn build(&mut self) -> Result<Query<'_, Any, AnyArguments<'_>>, sqlx::Error> {
        if let Some(e) = self.error.take() {
            return Err(sqlx::Error::Encode(e));
        }
        let args = std::mem::take(&mut self.args);
        Ok(sqlx::query_with(&self.sql, args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order_across_pieces_and_lists() {
        let mut sql = Sql::new("SELECT id FROM items WHERE status = ");
        sql.push_bind("new")
            .push(" AND id IN (")
            .push_list([3_i64, 5, 8])
            .push(") AND owner = ")
            .push_bind(Some("ana".to_owned()));
        assert_eq!(
            sql.sql(),
            "SELECT id FROM items WHERE status = $1 AND id IN ($2, $3, $4) AND owner = $5"
        );
        assert!(sql.build().is_ok());
    }

    #[test]
    fn an_empty_list_writes_nothing_and_binds_nothing() {
        let mut sql = Sql::new("SELECT 1 WHERE 1 IN (");
        sql.push_list(Vec::<i64>::new()).push(")");
        assert_eq!(sql.sql(), "SELECT 1 WHERE 1 IN ()");
        sql.push(" AND 2 = ").push_bind(2_i64);
        assert_eq!(sql.sql(), "SELECT 1 WHERE 1 IN () AND 2 = $1");
    }

    #[tokio::test]
    async fn what_it_builds_runs_on_sqlite_with_its_values_in_place() {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect("sqlite::memory:")
            .await
            .unwrap();
        let mut sql = Sql::new("SELECT ");
        sql.push_bind(40_i64)
            .push(" + ")
            .push_bind(2_i64)
            .push(" AS n, ")
            .push_bind("x")
            .push(" || ")
            .push_bind("y")
            .push(" AS s");
        let row = sql.build().unwrap().fetch_one(&mut conn).await.unwrap();
        use sqlx::Row;
        assert_eq!(row.try_get::<i64, _>("n").unwrap(), 42);
        assert_eq!(row.try_get::<String, _>("s").unwrap(), "xy");
    }
}
