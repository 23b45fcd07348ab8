//! Officers' changes to items, one or thousands at a time
//! ([`Store::apply_change`]), and taking them back ([`Store::undo`]).
//!
//! A change to many items is written in transactions of [`CHUNK`] items: one
//! read of the chunk's items, an update and an audit entry per item (its
//! state before and after, so the log says who changed what), one commit.
//! Between chunks the one write connection serves the others (the poller's
//! pages, a colleague's click), so a bulk action never holds it for long.
//! Only `items` is written: the schema's trigger keeps its place and tag
//! rows, counters and search documents in step.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row};

use super::assignments::{self, Assignment};
use super::audit::{self, NewAudit};
use super::sql::Sql;
use super::{Store, StoreError, codec};
use crate::domain::triage::{Field, ItemChange, ItemState, Skip};

/// Items (or undone changes) per write transaction.
const CHUNK: usize = 500;

/// The changes [`Store::undo`] can take back.
const UNDOABLE: [&str; 9] = [
    "item.claimed",
    "item.released",
    "item.marked_replied",
    "item.referred",
    "item.dismissed",
    "item.reopened",
    "item.assigned",
    "item.priority_set",
    "item.tag_added",
];

/// What [`Store::apply_change`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Each item changed, with its audit entry, in the order asked.
    pub changed: Vec<(i64, i64)>,
    /// Items left as they were, and why.
    pub skipped: Vec<(i64, Skip)>,
    /// Ids that name no item.
    pub missing: Vec<i64>,
}

impl Applied {
    /// The audit entries of the changes (what [`Store::undo`] takes back).
    pub fn entries(&self) -> Vec<i64> {
        self.changed.iter().map(|(_, entry)| *entry).collect()
    }
}

/// What [`Store::undo`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undone {
    /// Items put back as they were.
    pub items: Vec<i64>,
    /// Changes left as they are: (audit entry, why).
    pub refused: Vec<(i64, String)>,
}

/// The states of the items with these ids (those that exist).
async fn states(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, ItemState>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let mut qb: Sql =
        Sql::new("SELECT id, status, owner, team_id, priority, tags FROM items WHERE id IN (");
    qb.push_list(ids.iter().copied());
    qb.push(")");
    for row in qb.build()?.fetch_all(&mut *conn).await? {
        let state = ItemState {
            status: codec::status_from_db(row.try_get("status")?)?,
            owner: row.try_get("owner")?,
            team: row.try_get("team_id")?,
            priority: codec::priority_from_db(row.try_get("priority")?)?,
            tags: codec::from_json(row.try_get("tags")?, "item tags")?,
        };
        out.insert(row.try_get("id")?, state);
    }
    Ok(out)
}

/// Writes an item's state; the trigger derives the rest.
async fn write(
    conn: &mut AnyConnection,
    id: i64,
    state: &ItemState,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE items SET status = $1, owner = $2, team_id = $3, priority = $4, tags = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(state.status.as_str())
    .bind(&state.owner)
    .bind(state.team)
    .bind(state.priority.as_str())
    .bind(codec::to_json(&state.tags))
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One part of a state as an audit entry records it.
fn field_json(state: &ItemState, field: Field) -> Value {
    match field {
        Field::Status => state.status.as_str().into(),
        Field::Owner => state.owner.clone().into(),
        Field::Team => state.team.into(),
        Field::Priority => state.priority.as_str().into(),
        Field::Tags => state.tags.clone().into(),
    }
}

/// The `fields` of a state as an audit entry's JSON object.
fn state_json(state: &ItemState, fields: &[Field]) -> Value {
    let map: Map<String, Value> = fields
        .iter()
        .map(|f| (f.as_str().to_owned(), field_json(state, *f)))
        .collect();
    Value::Object(map)
}

/// `state` with `field` set from an audit entry's JSON value.
fn set_field(state: &mut ItemState, field: Field, value: &Value) -> Result<(), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("audit state {}: {value}", field.as_str()));
    match field {
        Field::Status => state.status = codec::status_from_db(value.as_str().ok_or_else(corrupt)?)?,
        Field::Owner => state.owner = value.as_str().map(str::to_owned),
        Field::Team => {
            state.team = match value {
                Value::Null => None,
                v => Some(v.as_i64().ok_or_else(corrupt)?),
            };
        }
        Field::Priority => {
            state.priority = codec::priority_from_db(value.as_str().ok_or_else(corrupt)?)?;
        }
        Field::Tags => {
            state.tags = serde_json::from_value(value.clone()).map_err(|_| corrupt())?;
        }
    }
    Ok(())
}

/// The item as it was before a change (`before`, `after`: the change's
/// audit states), or `None` when the item is no longer as the change left
/// it (someone changed it since, or the change was undone).
fn put_back(
    before: &Value,
    after: &Value,
    now: &ItemState,
) -> Result<Option<(ItemState, Vec<Field>)>, StoreError> {
    let kept = Field::ALL.iter().all(|f| {
        after
            .get(f.as_str())
            .is_none_or(|v| *v == field_json(now, *f))
    });
    if !kept {
        return Ok(None);
    }
    let mut back = now.clone();
    let mut touched = Vec::new();
    for field in Field::ALL {
        if let Some(value) = before.get(field.as_str()) {
            set_field(&mut back, field, value)?;
        }
        if before.get(field.as_str()).is_some() || after.get(field.as_str()).is_some() {
            touched.push(field);
        }
    }
    Ok(Some((back, touched)))
}

impl Store {
    /// Applies `change` by `actor` to each of the items `ids` (in that
    /// order, each once): an item that cannot take it, or already is as it
    /// would leave it, is skipped with why. Each item changed gets its own
    /// audit entry (the fields the change touches, before and after; with
    /// `detail` when given), written with the change, [`CHUNK`] items to a
    /// transaction.
    pub async fn apply_change(
        &self,
        ids: &[i64],
        change: &ItemChange,
        actor: &str,
        detail: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        let fields = change.fields();
        let assigning = matches!(change, ItemChange::Assign(_));
        for chunk in ids.chunks(CHUNK) {
            let mut tx = self.begin_write().await?;
            let states = states(&mut tx, chunk).await?;
            let at = codec::now();
            let mut made = Vec::new();
            for &id in chunk {
                let Some(state) = states.get(&id) else {
                    applied.missing.push(id);
                    continue;
                };
                let next = match change.apply(state, actor) {
                    Ok(next) => next,
                    Err(skip) => {
                        applied.skipped.push((id, skip));
                        continue;
                    }
                };
                write(&mut tx, id, &next, &at).await?;
                let entry = NewAudit {
                    actor: actor.to_owned(),
                    action: change.audit_action().to_owned(),
                    item_id: Some(id),
                    before: Some(state_json(state, fields)),
                    after: Some(state_json(&next, fields)),
                    detail: detail.map(str::to_owned),
                };
                let entry_id = audit::insert(&mut tx, &entry, &at).await?;
                applied.changed.push((id, entry_id));
                if assigning {
                    made.push((id, state.clone(), next, entry_id));
                }
            }
            let made: Vec<Assignment<'_>> = made
                .iter()
                .map(|(id, before, next, entry)| Assignment {
                    item_id: *id,
                    owner: next.owner.as_deref(),
                    team: next.team,
                    owner_before: before.owner.as_deref(),
                    team_before: before.team,
                    by: actor,
                    audit_entry: Some(*entry),
                })
                .collect();
            assignments::recorded(&mut tx, &made, self.desk_url()).await?;
            tx.commit().await?;
        }
        Ok(applied)
    }

    /// Takes back the changes recorded by audit `entries` (workflow steps,
    /// assignments, priorities and tags), each made by `actor` no longer
    /// than `window` ago: an item still as the change left it (each field
    /// the change recorded) goes back to what it was, audited as
    /// `item.undone` beside the change it undoes. A change that is
    /// another's, too old, not one of these, or already overtaken (someone
    /// changed the item since, or it was undone) is left, with why. Written
    /// [`CHUNK`] changes to a transaction.
    pub async fn undo(
        &self,
        entries: &[i64],
        actor: &str,
        window: std::time::Duration,
    ) -> Result<Undone, StoreError> {
        let mut undone = Undone::default();
        // One bulk action writes its changes over some seconds, and the
        // desk offers its Undo from when the last was written: the changes
        // undone together count as old as the newest of them.
        let mut qb: Sql = Sql::new("SELECT max(at) AS newest FROM audit WHERE id IN (");
        qb.push_list(entries.iter().copied());
        qb.push(") AND actor = ").push_bind(actor);
        let newest: Option<String> = qb.build()?.fetch_one(&self.read).await?.try_get("newest")?;
        // None of them the actor's: each is refused below, with why.
        let newest = match newest {
            Some(at) => parse_at(&at, 0)?,
            None => time::OffsetDateTime::now_utc(),
        };
        for chunk in entries.chunks(CHUNK) {
            let mut tx = self.begin_write().await?;
            undo_chunk(&mut tx, chunk, actor, window, newest, &mut undone).await?;
            tx.commit().await?;
        }
        Ok(undone)
    }
}

/// An audit entry as [`Store::undo`] reads it.
struct Recorded {
    at: String,
    actor: String,
    action: String,
    item: Option<i64>,
    before: Value,
    after: Value,
}

async fn recorded(
    conn: &mut AnyConnection,
    entries: &[i64],
) -> Result<HashMap<i64, Recorded>, StoreError> {
    let mut qb: Sql = Sql::new(
        "SELECT id, at, actor, action, item_id, state_before, state_after FROM audit WHERE id IN (",
    );
    qb.push_list(entries.iter().copied());
    qb.push(")");
    let state = |text: Option<String>| -> Result<Value, StoreError> {
        codec::from_json(text.as_deref().unwrap_or("{}"), "audit state")
    };
    let mut out = HashMap::with_capacity(entries.len());
    for row in qb.build()?.fetch_all(&mut *conn).await? {
        let entry = Recorded {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            item: row.try_get("item_id")?,
            before: state(row.try_get("state_before")?)?,
            after: state(row.try_get("state_after")?)?,
        };
        out.insert(row.try_get("id")?, entry);
    }
    Ok(out)
}

/// An audit entry's time.
fn parse_at(at: &str, entry: i64) -> Result<time::OffsetDateTime, StoreError> {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("audit entry {entry}'s time: {e}")))
}

/// [`Store::undo`] of some of the entries, in the caller's transaction.
async fn undo_chunk(
    conn: &mut AnyConnection,
    entries: &[i64],
    actor: &str,
    window: std::time::Duration,
    newest: time::OffsetDateTime,
    undone: &mut Undone,
) -> Result<(), StoreError> {
    let records = recorded(conn, entries).await?;
    let items: Vec<i64> = records.values().filter_map(|r| r.item).collect();
    let mut states = states(conn, &items).await?;
    let now = time::OffsetDateTime::now_utc();
    let at = codec::now();
    for &entry in entries {
        let record = records.get(&entry).ok_or(StoreError::NotFound {
            what: "change",
            id: entry,
        })?;
        let refuse = |why: &str| (entry, why.to_owned());
        let item = record
            .item
            .filter(|_| UNDOABLE.contains(&record.action.as_str()));
        let Some((item, state)) = item.and_then(|i| Some((i, states.get(&i)?.clone()))) else {
            undone
                .refused
                .push(refuse("not a change to an item that can be undone"));
            continue;
        };
        if record.actor != actor {
            undone.refused.push(refuse("someone else made that change"));
            continue;
        }
        // The team has (or is about to have) the email: reopening the item
        // is the honest way back, and says so in the history.
        if record.after.get("referral").is_some() {
            undone.refused.push(refuse(
                "a referral's email cannot be taken back: reopen the item instead",
            ));
            continue;
        }
        // Part of the action that ended at `newest` (written within one
        // window before it), and that action recent enough.
        let at_change = parse_at(&record.at, entry)?;
        if now - newest >= window || newest - at_change >= window {
            undone
                .refused
                .push(refuse("it is too late to undo that change"));
            continue;
        }
        let Some((back, fields)) = put_back(&record.before, &record.after, &state)? else {
            undone.refused.push(refuse("the item has changed since"));
            continue;
        };
        write(conn, item, &back, &at).await?;
        let undo = NewAudit {
            actor: actor.to_owned(),
            action: "item.undone".to_owned(),
            item_id: Some(item),
            before: Some(state_json(&state, &fields)),
            after: Some(state_json(&back, &fields)),
            detail: Some(format!("undid {} (change {entry})", record.action)),
        };
        audit::insert(conn, &undo, &at).await?;
        states.insert(item, back);
        undone.items.push(item);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::{Priority, Status};
    use serde_json::json;

    fn state() -> ItemState {
        ItemState {
            status: Status::InProgress,
            owner: Some("sam".into()),
            team: None,
            priority: Priority::Urgent,
            tags: vec!["bins".into(), "roads".into()],
        }
    }

    #[test]
    fn a_change_is_put_back_only_while_the_item_is_as_it_left_it() {
        let now = state();
        // A priority raised from normal, still urgent: back to normal, alone.
        let (back, fields) = put_back(
            &json!({"priority": "normal"}),
            &json!({"priority": "urgent"}),
            &now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(back.priority, Priority::Normal);
        assert_eq!((back.status, back.tags.len()), (now.status, 2));
        assert_eq!(fields, [Field::Priority]);
        // A tag added, still the tags it left: the tags as they were.
        let (back, _) = put_back(
            &json!({"tags": ["bins"]}),
            &json!({"tags": ["bins", "roads"]}),
            &now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(back.tags, ["bins"]);
        // A claim (status and owner) after which the owner changed: left.
        assert!(
            put_back(
                &json!({"status": "new", "owner": null}),
                &json!({"status": "in_progress", "owner": "priya"}),
                &now,
            )
            .unwrap()
            .is_none()
        );
        let (back, fields) = put_back(
            &json!({"status": "new", "owner": null}),
            &json!({"status": "in_progress", "owner": "sam"}),
            &now,
        )
        .unwrap()
        .unwrap();
        assert_eq!((back.status, back.owner), (Status::New, None));
        assert_eq!(fields, [Field::Status, Field::Owner]);
    }
}
