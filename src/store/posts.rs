//! Posts and authors: storing them (byte-exact, never twice), reading them
//! back as domain values, conversations ([`Store::thread`]) and the stored
//! posts in id order for `placewatch rules test` ([`Store::posts_after`]).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{id_from_db, id_to_db, opt_id_from_db};
use super::items::{ItemRow, items_by_ids};
use super::sql::Sql;
use super::{Store, StoreError, codec};
use crate::domain::post::{Author, Post};

/// A post of a conversation, as [`Store::thread`] returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadPost {
    pub post: Post,
    /// `None` when X did not send the author (a context post, say).
    pub author: Option<Author>,
    /// The triage item filed for this post, if it matched a monitor.
    pub item_id: Option<i64>,
}

/// The post columns of a query that aliases `posts` as `p`.
pub(super) const POST_COLUMNS: &str = "p.id AS p_id, p.text AS p_text, \
    p.author_id AS p_author_id, p.created_at AS p_created_at, \
    p.conversation_id AS p_conversation_id, p.in_reply_to_user_id AS p_in_reply_to_user_id, \
    p.replied_to AS p_replied_to, p.quoted AS p_quoted, CASE WHEN p.is_retweet THEN 1 ELSE 0 END AS p_is_retweet, \
    p.lang AS p_lang, p.reply_settings AS p_reply_settings, p.mentions AS p_mentions, \
    p.raw AS p_raw";

/// The author columns of a query that left-joins `authors` as `a`.
pub(super) const AUTHOR_COLUMNS: &str = "a.id AS a_id, a.username AS a_username, a.name AS a_name";

/// Reads the [`POST_COLUMNS`] of a row.
pub(super) fn decode_post(row: &AnyRow) -> Result<Post, StoreError> {
    Ok(Post {
        id: id_from_db(row.try_get("p_id")?, "post id")?,
        text: row.try_get("p_text")?,
        author_id: opt_id_from_db(row.try_get("p_author_id")?, "author id")?,
        created_at: row.try_get("p_created_at")?,
        conversation_id: opt_id_from_db(row.try_get("p_conversation_id")?, "conversation id")?,
        in_reply_to_user_id: opt_id_from_db(row.try_get("p_in_reply_to_user_id")?, "user id")?,
        replied_to: opt_id_from_db(row.try_get("p_replied_to")?, "post id")?,
        quoted: opt_id_from_db(row.try_get("p_quoted")?, "post id")?,
        is_retweet: codec::flag(row, "p_is_retweet")?,
        lang: row.try_get("p_lang")?,
        reply_settings: row.try_get("p_reply_settings")?,
        mentions: codec::from_json(row.try_get("p_mentions")?, "post mentions")?,
        raw: row.try_get("p_raw")?,
    })
}

/// Reads the [`AUTHOR_COLUMNS`] of a row: `None` when the join found no author.
pub(super) fn decode_author(row: &AnyRow) -> Result<Option<Author>, StoreError> {
    let Some(id) = row.try_get::<Option<i64>, _>("a_id")? else {
        return Ok(None);
    };
    Ok(Some(Author {
        id: id_from_db(id, "author id")?,
        username: row.try_get("a_username")?,
        name: row.try_get("a_name")?,
    }))
}

/// A row of a query selecting post, author and `i.id AS i_id` columns.
fn decode_thread_post(row: &AnyRow) -> Result<ThreadPost, StoreError> {
    Ok(ThreadPost {
        post: decode_post(row)?,
        author: decode_author(row)?,
        item_id: row.try_get("i_id")?,
    })
}

impl Store {
    /// The conversation `conversation_id`: every stored post in it (its root
    /// included), oldest first, with its author and its item if it has one.
    pub async fn thread(&self, conversation_id: u64) -> Result<Vec<ThreadPost>, StoreError> {
        let id = id_to_db(conversation_id, "conversation id")?;
        let sql = format!(
            "SELECT {POST_COLUMNS}, {AUTHOR_COLUMNS}, i.id AS i_id FROM posts p \
             LEFT JOIN authors a ON a.id = p.author_id LEFT JOIN items i ON i.post_id = p.id \
             WHERE p.conversation_id = $1 OR p.id = $2 ORDER BY p.id"
        );
        let rows = sqlx::query(&sql)
            .bind(id)
            .bind(id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode_thread_post).collect()
    }

    /// Up to `limit` stored posts with ids above `after_id`, in id order, each
    /// with its author and its item if it has one: the input of
    /// `placewatch rules test`, which pages through them with the last id.
    pub async fn posts_after(
        &self,
        after_id: u64,
        limit: u32,
    ) -> Result<Vec<(Post, Option<Author>, Option<ItemRow>)>, StoreError> {
        // Past the largest storable id nothing can follow.
        let Ok(after) = i64::try_from(after_id) else {
            return Ok(Vec::new());
        };
        let mut conn = self.read.acquire().await?;
        let sql = format!(
            "SELECT {POST_COLUMNS}, {AUTHOR_COLUMNS}, i.id AS i_id FROM posts p \
             LEFT JOIN authors a ON a.id = p.author_id LEFT JOIN items i ON i.post_id = p.id \
             WHERE p.id > $1 ORDER BY p.id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        let item_ids: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get::<Option<i64>, _>("i_id"))
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        let mut items: HashMap<i64, ItemRow> = items_by_ids(&mut conn, &item_ids)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect();
        rows.iter()
            .map(|row| {
                let item = row
                    .try_get::<Option<i64>, _>("i_id")?
                    .and_then(|id| items.remove(&id));
                Ok((decode_post(row)?, decode_author(row)?, item))
            })
            .collect()
    }

    /// The stored posts among `ids` (the posts items reply to, for the
    /// inbox's thread context), each with its author and its item if any.
    pub async fn posts_by_ids(&self, ids: &[u64]) -> Result<Vec<ThreadPost>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: Sql = Sql::new(format!(
            "SELECT {POST_COLUMNS}, {AUTHOR_COLUMNS}, i.id AS i_id FROM posts p \
             LEFT JOIN authors a ON a.id = p.author_id LEFT JOIN items i ON i.post_id = p.id \
             WHERE p.id IN ("
        ));
        // An id beyond i64 cannot be stored, so cannot be found.
        qb.push_list(ids.iter().filter_map(|id| i64::try_from(*id).ok()));
        qb.push(")");
        let rows = qb.build()?.fetch_all(&self.read).await?;
        rows.iter().map(decode_thread_post).collect()
    }

    /// How many posts are stored (matched and context).
    pub async fn post_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
            .fetch_one(&self.read)
            .await?;
        codec::count_from_db(n, "post count")
    }
}
