//! Authors and posts as a page batch stores them: authors refreshed, posts
//! inserted byte-exact once (the first copy stays).

use sqlx::AnyConnection;

use super::chunks;
use crate::domain::post::{Author, Post};
use crate::store::codec::{self, id_to_db, opt_id_to_db};
use crate::store::dialect::storable;
use crate::store::{Engine, StoreError};

/// Inserts or refreshes authors: usernames and display names change, the
/// latest seen wins.
pub(super) async fn upsert_authors(
    conn: &mut AnyConnection,
    authors: &[Author],
    at: &str,
) -> Result<(), StoreError> {
    let engine = Engine::of(conn);
    for chunk in chunks::split(authors) {
        let sql = format!(
            "INSERT INTO authors (id, username, name, updated_at) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET username = excluded.username, \
             name = excluded.name, updated_at = excluded.updated_at",
            chunks::placeholders(conn, chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for author in chunk {
            query = query
                .bind(id_to_db(author.id, "author id")?)
                .bind(storable(engine, &author.username).into_owned())
                .bind(storable(engine, &author.name).into_owned())
                .bind(at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stores the posts not stored yet (a post never changes, so the first copy
/// stays; a post twice in `posts` is stored once). Returns how many were new.
pub(super) async fn insert_posts(
    conn: &mut AnyConnection,
    posts: &[&Post],
    at: &str,
) -> Result<u64, StoreError> {
    let mut new = 0;
    let engine = Engine::of(conn);
    for chunk in chunks::split(posts) {
        let sql = format!(
            "INSERT INTO posts (id, text, author_id, created_at, conversation_id, \
             in_reply_to_user_id, replied_to, quoted, is_retweet, lang, reply_settings, \
             mentions, raw, stored_at) VALUES {} ON CONFLICT (id) DO NOTHING",
            chunks::placeholders(conn, chunk.len(), 14)
        );
        let mut query = sqlx::query(&sql);
        for post in chunk {
            query = query
                .bind(id_to_db(post.id, "post id")?)
                .bind(storable(engine, &post.text).into_owned())
                .bind(opt_id_to_db(post.author_id, "author id")?)
                .bind(&post.created_at)
                .bind(opt_id_to_db(post.conversation_id, "conversation id")?)
                .bind(opt_id_to_db(post.in_reply_to_user_id, "user id")?)
                .bind(opt_id_to_db(post.replied_to, "post id")?)
                .bind(opt_id_to_db(post.quoted, "post id")?)
                .bind(post.is_retweet)
                .bind(&post.lang)
                .bind(&post.reply_settings)
                .bind(codec::to_json(&post.mentions))
                .bind(&post.raw)
                .bind(at);
        }
        new += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(new)
}
