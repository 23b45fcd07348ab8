//! The inbox's queries on PostgreSQL: pages, counts, the matching ids and
//! the search's highlighting, for the same [`Plan`] as SQLite's.
//!
//! PostgreSQL has what SQLite lacks, a planner with statistics, so a page
//! is one plain `SELECT … FROM items i WHERE … ORDER BY … LIMIT n`: the
//! filters are columns of `items` (owner, team, priority, reply path,
//! status, conversation, the days' range of post ids), `EXISTS` on the
//! side tables (places, tags, the post's language), and the words are
//! `items.search_vector @@ query` (GIN index). The planner picks the walk:
//! an index in the page's order that stops after the page for common
//! filters, the GIN index or a facet's index and a sort of the few matches
//! for rare ones. Every inbox read runs in a transaction with
//! `plan_cache_mode = force_custom_plan`, so each statement is planned for
//! its values (a rare place and a common one want different walks), never
//! once for all.
//!
//! The words become a `tsquery` without user text ever reaching its
//! syntax: each term of [`crate::domain::search::terms`] is a bound value
//! turned into a query by PostgreSQL, `phraseto_tsquery('placewatch', $n)`
//! for a word or a phrase (a word that the parser splits, "fly-tipping", is
//! a phrase of its parts, as in FTS5), and `to_tsquery('placewatch', $n)`
//! of a quoted lexeme with `:*` for a prefix; the terms are AND-ed with
//! `&&`. PostgreSQL resolves that once per read (one round trip) into the
//! query's text, which the page and count statements bind as a `tsquery`.
//! A term that yields no lexeme at all would drop out of `&&` and widen the
//! search: then the search matches nothing, as on SQLite.
//!
//! With words, the filters that `search_vector` carries as marker lexemes
//! (place, tag, owner, priority, reply path: see migrations/postgres/0021)
//! are AND-ed into the same `tsquery`, as SQLite's query carries them: the
//! GIN index intersects their posting lists, so a common word within a
//! place reads only the items of both from the table, not every item with
//! the word (a place or tag then needs no subquery of its side table).
//! Without words, two such filters or more are a `tsquery` of their markers
//! alone, for the same reason (a tag and a priority: a few hundred items
//! of the thousands each has).
//!
//! A search runs within the same time budget as on SQLite
//! ([`SEARCH_BUDGET`]), set as `statement_timeout` for each statement of its
//! read transaction (`SET LOCAL`), and a statement it stops is
//! [`SearchError::TooSlow`].

use std::ops::Range;

use sqlx::{AnyConnection, Connection, Row};

use super::inbox::{ItemFilter, Sort};
use super::plan::{Keyset, OPEN, PRIORITY_RANK, Plan};
use super::sql::Sql;
use super::{SEARCH_BUDGET, SearchError, Store, StoreError, codec};
use crate::domain::search::{self, Term};
use crate::domain::triage::Status;

/// PostgreSQL's SQLSTATE for a statement cancelled by `statement_timeout`.
const QUERY_CANCELED: &str = "57014";

/// A plan's words resolved by PostgreSQL.
pub(super) struct PgPlan<'p, 'f> {
    pub(super) plan: &'p Plan<'f>,
    /// The words as a `tsquery`'s text (PostgreSQL's own output, bound back
    /// as a `tsquery`), if the filter has any.
    words: Option<String>,
    /// The filter matches nothing: the plan says so, or a term of the
    /// search has no lexeme.
    pub(super) matches_nothing: bool,
}

/// The terms of `text` as a statement that PostgreSQL answers with the
/// `tsquery` of all of them and of the filter `markers` (`query`, as text)
/// and whether every term has a lexeme (`complete`); `None` when `text` has
/// no term and there are fewer than two markers (one filter alone has its
/// own index, or a counter row).
fn words_query(text: &str, markers: &[Marker]) -> Option<Sql<'static>> {
    let terms = search::terms(text);
    if terms.is_empty() && markers.len() < 2 {
        return None;
    }
    let names: Vec<String> = (0..terms.len())
        .map(|n| format!("q{n}"))
        .chain((0..markers.len()).map(|n| format!("m{n}")))
        .collect();
    let mut sql = Sql::new(format!(
        "SELECT CAST({} AS text) AS query, ",
        names.join(" && ")
    ));
    for n in 0..terms.len() {
        sql.push(if n == 0 { "" } else { " AND " })
            .push(format!("numnode(q{n}) > 0"));
    }
    if terms.is_empty() {
        sql.push("TRUE");
    }
    sql.push(" AS complete FROM (SELECT ");
    for (n, term) in terms.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " });
        match term {
            Term::Word(text) | Term::Phrase(text) => {
                sql.push("phraseto_tsquery('placewatch', ")
                    .push_bind(text.clone());
            }
            Term::Prefix(text) => {
                sql.push("to_tsquery('placewatch', ")
                    .push_bind(prefix_lexeme(text));
            }
        }
        sql.push(format!(") AS q{n}"));
    }
    // A marker is one lexeme as written (a kind's character, then hex
    // digits or a fixed word: nothing `quote_literal` escapes), never
    // parsed into words.
    for (n, (kind, value)) in markers.iter().enumerate() {
        let comma = if n == 0 && terms.is_empty() { "" } else { ", " };
        sql.push(format!(
            "{comma}CAST(quote_literal(placewatch_marker({kind}, "
        ))
        .push_bind(value.clone())
        .push(format!(")) AS tsquery) AS m{n}"));
    }
    sql.push(") AS terms");
    Some(sql)
}

/// A filter as `placewatch_marker`'s kind and value.
type Marker = (i32, String);

/// The filters of `f` that items' search documents carry as markers (see
/// `placewatch_marker` in migrations/postgres/0021).
fn markers(f: &ItemFilter) -> Vec<Marker> {
    [
        f.place.clone().map(|v| (1, v)),
        f.tag.clone().map(|v| (2, v)),
        f.owner.clone().map(|v| (3, v)),
        f.priority.map(|v| (4, v.as_str().to_owned())),
        f.reply_path.map(|v| (5, v.as_str().to_owned())),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A prefix as `to_tsquery` input: one quoted string (quotes doubled,
/// backslashes escaped, so nothing in it is an operator) with `:*`.
fn prefix_lexeme(text: &str) -> String {
    format!("'{}':*", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// `(query, complete)` for the search `text` with the filter `markers`
/// (see [`words_query`]), or `None` when it has no term.
async fn resolve_words(
    conn: &mut AnyConnection,
    text: &str,
    markers: &[Marker],
) -> Result<Option<(String, bool)>, StoreError> {
    let Some(mut sql) = words_query(text, markers) else {
        return Ok(None);
    };
    let row = sql.build()?.fetch_one(&mut *conn).await?;
    Ok(Some((row.try_get("query")?, row.try_get("complete")?)))
}

impl Store {
    /// Runs `read` on a PostgreSQL reader, in a read transaction whose
    /// statements are each planned for their values; a full-text search
    /// first takes one of the search places and runs within the search
    /// time budget (see the module's doc).
    pub(super) async fn read_planned_pg<T>(
        &self,
        plan: &Plan<'_>,
        read: impl AsyncFnOnce(&mut AnyConnection, &PgPlan<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _place = match plan.fts {
            Some(_) => Some(
                self.searches
                    .acquire()
                    .await
                    .expect("the search semaphore is never closed"),
            ),
            None => None,
        };
        let mut conn = self.read.acquire().await?;
        let mut tx = conn.begin().await?;
        if plan.fts.is_some() {
            let budget_ms = i64::try_from(SEARCH_BUDGET.as_millis()).unwrap_or(i64::MAX);
            sqlx::query(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true) AS plans, \
                 set_config('statement_timeout', $1, true) AS budget",
            )
            .bind(budget_ms.to_string())
            .execute(&mut *tx)
            .await?;
        } else {
            // A page or a count without words reads a few hundred rows at
            // most: starting parallel workers would cost more than it saves.
            sqlx::query(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true) AS plans, \
                 set_config('max_parallel_workers_per_gather', '0', true) AS workers",
            )
            .execute(&mut *tx)
            .await?;
        }
        let outcome = async {
            let mut pg = PgPlan {
                plan,
                words: None,
                matches_nothing: plan.matches_nothing,
            };
            if !pg.matches_nothing
                && let Some((query, complete)) = resolve_words(
                    &mut tx,
                    plan.filter.text.as_deref().unwrap_or_default(),
                    &markers(plan.filter),
                )
                .await?
            {
                pg.words = Some(query);
                pg.matches_nothing = !complete;
            }
            read(&mut tx, &pg).await
        }
        .await;
        match outcome {
            Err(StoreError::Db(e)) if is_timeout(&e) => Err(SearchError::TooSlow {
                budget: SEARCH_BUDGET,
            }
            .into()),
            Err(e) => Err(e),
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
        }
    }

    /// [`Store::highlights`] on PostgreSQL: `ts_headline` with the
    /// `placewatch` configuration marks, in each text the words match,
    /// every word that is one of the query's (every one, `HighlightAll`),
    /// between private-use characters read back into byte ranges. Words
    /// marked next to each other (a phrase) become one range, as FTS5
    /// marks a phrase. A word of a phrase is marked wherever the text has
    /// it, where FTS5 marks only the phrase's instances.
    pub(super) async fn highlights_pg(
        &self,
        search: &str,
        texts: &[String],
        open: char,
        close: char,
    ) -> Result<Vec<Vec<Range<usize>>>, StoreError> {
        let mut marks = vec![Vec::new(); texts.len()];
        let mut conn = self.read.acquire().await?;
        let Some((query, true)) = resolve_words(&mut conn, search, &[]).await? else {
            return Ok(marks);
        };
        // jsonb holds no NUL: a space of the same length stands in for it.
        let sent: Vec<String> = texts.iter().map(|t| t.replace('\0', " ")).collect();
        let options = format!("StartSel=\"{open}\", StopSel=\"{close}\", HighlightAll=true");
        let rows = sqlx::query(
            "SELECT CAST(u.n AS BIGINT) AS n, \
             ts_headline('placewatch', u.t, CAST($2 AS tsquery), $3) AS marked \
             FROM jsonb_array_elements_text(CAST($1 AS jsonb)) WITH ORDINALITY AS u (t, n) \
             WHERE to_tsvector('placewatch', u.t) @@ CAST($2 AS tsquery)",
        )
        .bind(codec::to_json(&sent))
        .bind(query)
        .bind(options)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let n: i64 = row.try_get("n")?;
            let marked: String = row.try_get("marked")?;
            let Some(index) = usize::try_from(n - 1).ok().filter(|n| *n < texts.len()) else {
                continue;
            };
            // Only marks of exactly the text sent are kept.
            let plain: String = marked
                .chars()
                .filter(|c| *c != open && *c != close)
                .collect();
            if plain != sent[index] {
                continue;
            }
            marks[index] = join_adjacent(&plain, super::highlight::ranges(&marked));
        }
        Ok(marks)
    }
}

/// Whether PostgreSQL cancelled a statement at its `statement_timeout`.
fn is_timeout(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == QUERY_CANCELED)
}

/// `ranges` with those separated by white space only merged.
fn join_adjacent(text: &str, ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last)
                if last.end <= r.start
                    && text.get(last.end..r.start).is_some_and(|gap| {
                        !gap.is_empty() && gap.chars().all(char::is_whitespace)
                    }) =>
            {
                last.end = r.end;
            }
            _ => out.push(r),
        }
    }
    out
}

/// Where a page that ends with item `id` ends, in every order.
pub(super) async fn keyset_of(conn: &mut AnyConnection, id: i64) -> Result<Keyset, StoreError> {
    sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT post_id, CAST({PRIORITY_RANK} AS BIGINT) FROM items i WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(post_id, rank)| Keyset { post_id, rank })
    .ok_or(StoreError::NotFound { what: "item", id })
}

/// The ids of a page's items (and one more, to tell whether a page follows),
/// in the filter's order.
pub(super) async fn page(
    conn: &mut AnyConnection,
    pg: &PgPlan<'_, '_>,
    before: Option<Keyset>,
    limit: u32,
) -> Result<Vec<i64>, StoreError> {
    if pg.matches_nothing {
        return Ok(Vec::new());
    }
    let mut sql = page_sql("", pg, before, limit);
    let rows = sql.build()?.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| row.try_get("id").map_err(StoreError::from))
        .collect()
}

/// The statement of [`page`]; `prefix` goes before it (`EXPLAIN` in the
/// benchmarks and tests).
pub(super) fn page_sql<'q>(
    prefix: &str,
    pg: &PgPlan<'_, '_>,
    before: Option<Keyset>,
    limit: u32,
) -> Sql<'q> {
    let mut sql = Sql::new(format!("{prefix}SELECT i.id AS id"));
    push_from_where(&mut sql, pg, true, before);
    sql.push(match pg.plan.sort {
        Sort::Newest => " ORDER BY i.post_id DESC".to_owned(),
        Sort::OldestWaiting => " ORDER BY i.post_id ASC".to_owned(),
        Sort::Priority => format!(" ORDER BY {PRIORITY_RANK} ASC, i.post_id ASC"),
    })
    .push(" LIMIT ")
    .push_bind(i64::from(limit) + 1);
    sql
}

/// Items per status over the plan's filter without its status and page.
pub(super) async fn counts(
    conn: &mut AnyConnection,
    pg: &PgPlan<'_, '_>,
) -> Result<Vec<(Status, u64)>, StoreError> {
    let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    if pg.matches_nothing {
        return Ok(counts);
    }
    let rows = if let Some((facet, value)) = pg.plan.counter_facet() {
        sqlx::query("SELECT status, n FROM item_counts WHERE facet = $1 AND value = $2")
            .bind(facet)
            .bind(value)
            .fetch_all(&mut *conn)
            .await?
    } else {
        let mut sql = Sql::new("SELECT i.status AS status, COUNT(*) AS n");
        push_from_where(&mut sql, pg, false, None);
        sql.push(" GROUP BY i.status");
        sql.build()?.fetch_all(&mut *conn).await?
    };
    for row in rows {
        let status = codec::status_from_db(row.try_get("status")?)?;
        let n = codec::count_from_db(row.try_get("n")?, "item count")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = n;
        }
    }
    Ok(counts)
}

/// The items the plan's filter matches, its status (or open statuses)
/// included.
pub(super) async fn count_matching(
    conn: &mut AnyConnection,
    pg: &PgPlan<'_, '_>,
) -> Result<u64, StoreError> {
    if pg.matches_nothing {
        return Ok(0);
    }
    let mut sql = Sql::new("SELECT COUNT(*) AS n");
    push_from_where(&mut sql, pg, true, None);
    let row = sql.build()?.fetch_one(&mut *conn).await?;
    codec::count_from_db(row.try_get("n")?, "item count")
}

/// `FROM items i WHERE …` of the filter. The filter's status (or open
/// statuses) applies only `with_status`, the keyset bound only when
/// `before` is given.
fn push_from_where(
    sql: &mut Sql<'_>,
    pg: &PgPlan<'_, '_>,
    with_status: bool,
    before: Option<Keyset>,
) {
    let plan = pg.plan;
    let f: &ItemFilter = plan.filter;
    sql.push(" FROM items i WHERE TRUE");
    if let Some(words) = &pg.words {
        sql.push(" AND i.search_vector @@ CAST(")
            .push_bind(words.clone())
            .push(" AS tsquery)");
    }
    if with_status {
        match f.status {
            Some(status) => {
                sql.push(" AND i.status = ").push_bind(status.as_str());
            }
            None if f.open => {
                sql.push(format!(" AND {OPEN}"));
            }
            None => {}
        }
    }
    // A place or tag is its side table's rows, which carry the item's
    // status: the filter's status narrows them there too, so the side
    // table's index (value, status, post id) yields only the rows wanted.
    // With words, the query's markers stand for them.
    for (table, column, value) in [
        ("item_places", "place", &f.place),
        ("item_tags", "tag", &f.tag),
    ] {
        let Some(value) = value.as_ref().filter(|_| pg.words.is_none()) else {
            continue;
        };
        sql.push(format!(
            " AND i.id IN (SELECT x.item_id FROM {table} x WHERE x.{column} = "
        ))
        .push_bind(value.clone());
        if with_status {
            match f.status {
                Some(status) => {
                    sql.push(" AND x.status = ").push_bind(status.as_str());
                }
                None if f.open => {
                    sql.push(" AND x.status IN ('new', 'in_progress')");
                }
                None => {}
            }
        }
        sql.push(")");
    }
    if let Some(conversation) = plan.conversation() {
        sql.push(" AND i.conversation_id = ")
            .push_bind(conversation);
    }
    if let Some(owner) = &f.owner {
        sql.push(" AND i.owner = ").push_bind(owner.clone());
    }
    if let Some(teams) = &f.teams {
        // None (no team) is the plan's "matches nothing", never run.
        sql.push(" AND i.team_id IN (")
            .push_list(teams.iter().copied())
            .push(")");
    }
    if let Some(priority) = f.priority {
        sql.push(" AND i.priority = ").push_bind(priority.as_str());
    }
    if let Some(path) = f.reply_path {
        sql.push(" AND i.reply_path = ").push_bind(path.as_str());
    }
    if let Some((low, high)) = plan.range() {
        sql.push(" AND i.post_id >= ")
            .push_bind(low)
            .push(" AND i.post_id < ")
            .push_bind(high);
    }
    if let Some(lang) = &f.lang {
        sql.push(" AND EXISTS (SELECT 1 FROM posts p WHERE p.id = i.post_id AND p.lang = ")
            .push_bind(lang.clone())
            .push(")");
    }
    if let Some(before) = before {
        match plan.sort {
            Sort::Newest => sql.push(" AND i.post_id < ").push_bind(before.post_id),
            Sort::OldestWaiting => sql.push(" AND i.post_id > ").push_bind(before.post_id),
            // The first term lets the open queue's index start at the rank.
            Sort::Priority => sql
                .push(format!(" AND {PRIORITY_RANK} >= "))
                .push_bind(before.rank)
                .push(format!(" AND ({PRIORITY_RANK}, i.post_id) > ("))
                .push_bind(before.rank)
                .push(", ")
                .push_bind(before.post_id)
                .push(")"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_one_quoted_lexeme() {
        assert_eq!(prefix_lexeme("poth"), "'poth':*");
        assert_eq!(prefix_lexeme(r"a'b\c"), r"'a''b\\c':*");
    }

    #[test]
    fn words_are_bound_values_never_query_text() {
        assert!(words_query("  ( ) 🙂", &[]).is_none());
        let markers = [(1, "'); DROP place".to_owned())];
        let sql = words_query(r#"'); DROP "cherry orchard" poth* &|!:*<>()"#, &markers).unwrap();
        let text = sql.sql();
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains("cherry"), "{text}");
        assert!(!text.contains("poth"), "{text}");
        // DROP and the phrase as phrases, the prefix as a quoted lexeme;
        // the rest has no letter or digit, so no term.
        assert_eq!(text.matches("phraseto_tsquery").count(), 2, "{text}");
        assert_eq!(
            text.matches(" to_tsquery('placewatch', $").count(),
            1,
            "{text}"
        );
        // The filter's marker, its value bound too.
        assert_eq!(text.matches("placewatch_marker(1, $").count(), 1, "{text}");
    }

    #[test]
    fn marks_separated_by_white_space_join() {
        let text = "Potholes on Cherry Orchard Road";
        assert_eq!(
            join_adjacent(text, vec![0..8, 12..18, 19..26]),
            [0..8, 12..26]
        );
        assert_eq!(join_adjacent(text, vec![0..8, 27..31]), [0..8, 27..31]);
    }
}
