//! The desk's changes to items: the workflow enforced, every action audited
//! exactly once, notes, assignment and events.

use placewatch::domain::triage::{Action, Status};
use placewatch::store::{NewAudit, StoreError};
use serde_json::json;

use super::{TestStore, batch, matched, post};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

async fn one_item(t: &TestStore) -> i64 {
    let c = batch("m", vec![matched(post(1, "Croydon bins"), &["Croydon"])]);
    t.store.record_pages(&c).await.unwrap().new_items[0]
}

#[apply(engines)]
#[tokio::test]
async fn transitions_follow_the_workflow_and_each_leaves_one_audit_entry(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let id = one_item(&t).await;

    let claimed = t
        .store
        .transition(id, Action::Claim, "priya")
        .await
        .unwrap();
    assert_eq!(claimed.status, Status::InProgress);
    assert_eq!(claimed.owner.as_deref(), Some("priya"));
    let released = t
        .store
        .transition(id, Action::Release, "priya")
        .await
        .unwrap();
    assert_eq!(released.status, Status::New);
    assert_eq!(released.owner, None);

    let steps = [
        (Action::Claim, Status::InProgress),
        (Action::MarkReplied, Status::Replied),
        (Action::Reopen, Status::New),
        (Action::Refer, Status::Referred),
        (Action::Reopen, Status::New),
        (Action::Dismiss, Status::Dismissed),
    ];
    for (action, status) in steps {
        assert_eq!(
            t.store.transition(id, action, "sam").await.unwrap().status,
            status
        );
    }
    // Not allowed: refused, nothing changed, nothing audited.
    let err = t
        .store
        .transition(id, Action::Claim, "sam")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err:?}");
    assert_eq!(t.store.item(id).await.unwrap().status, Status::Dismissed);

    t.store.assign(id, Some("jo"), "sam").await.unwrap();
    t.store
        .add_note(id, "jo", "called the resident")
        .await
        .unwrap();
    t.store.assign(id, None, "jo").await.unwrap();

    let audit = t.store.audit(Some(id), 100).await.unwrap();
    let desk_actions = 2 + steps.len() + 3;
    assert_eq!(
        audit.len(),
        desk_actions + 1,
        "N actions, N entries, plus item.created"
    );
    assert_eq!(audit.last().unwrap().action, "item.created");
    assert!(audit.windows(2).all(|w| w[0].id > w[1].id), "newest first");

    let claim = audit
        .iter()
        .rev()
        .find(|a| a.action == "item.claimed")
        .unwrap();
    assert_eq!(claim.actor, "priya");
    assert_eq!(
        claim.before,
        Some(json!({ "status": "new", "owner": null }))
    );
    assert_eq!(
        claim.after,
        Some(json!({ "status": "in_progress", "owner": "priya" }))
    );
    let assign = audit.iter().find(|a| a.action == "item.assigned").unwrap();
    // An assignment records the owner and the team, before and after.
    assert_eq!(assign.before, Some(json!({ "owner": "jo", "team": null })));
    assert_eq!(assign.after, Some(json!({ "owner": null, "team": null })));
}

#[apply(engines)]
#[tokio::test]
async fn changes_to_a_missing_item_are_not_found(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let missing = |e: StoreError| {
        matches!(
            e,
            StoreError::NotFound {
                what: "item",
                id: 99
            }
        )
    };
    assert!(missing(t.store.item(99).await.unwrap_err()));
    assert!(missing(
        t.store
            .transition(99, Action::Claim, "a")
            .await
            .unwrap_err()
    ));
    assert!(missing(
        t.store.assign(99, Some("a"), "a").await.unwrap_err()
    ));
    assert!(missing(t.store.add_note(99, "a", "n").await.unwrap_err()));
    let entry = NewAudit {
        actor: "a".into(),
        action: "reply.sent".into(),
        item_id: Some(99),
        before: None,
        after: None,
        detail: None,
    };
    assert!(missing(t.store.append_audit(&entry).await.unwrap_err()));
    assert!(t.store.audit(None, 10).await.unwrap().is_empty());
}

#[apply(engines)]
#[tokio::test]
async fn notes_are_kept_in_order_and_byte_exact(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let id = one_item(&t).await;
    let texts = ["first", "<b>bold</b> \u{202E}reversed\u{202C} \u{200B}", ""];
    for text in texts {
        let note = t.store.add_note(id, "priya", text).await.unwrap();
        assert_eq!(note.text, text);
    }
    let notes = t.store.notes(id).await.unwrap();
    let stored: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(stored, texts);
    assert!(notes.iter().all(|n| n.author == "priya" && n.item_id == id));
}

#[apply(engines)]
#[tokio::test]
async fn append_audit_records_actions_outside_the_store(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let id = one_item(&t).await;
    let login = NewAudit {
        actor: "priya".into(),
        action: "officer.login".into(),
        item_id: None,
        before: None,
        after: None,
        detail: Some("from 10.0.0.7".into()),
    };
    t.store.append_audit(&login).await.unwrap();
    let sent = NewAudit {
        actor: "priya".into(),
        action: "reply.sent".into(),
        item_id: Some(id),
        before: Some(json!({ "outbox": "sending" })),
        after: Some(json!({ "outbox": "sent", "post_id": "1999" })),
        detail: None,
    };
    t.store.append_audit(&sent).await.unwrap();

    let all = t.store.audit(None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].action, "reply.sent");
    assert_eq!(all[0].after, sent.after);
    assert_eq!(all[1].detail.as_deref(), Some("from 10.0.0.7"));
    assert_eq!(t.store.audit(None, 1).await.unwrap().len(), 1);
    assert_eq!(t.store.audit(Some(id), 10).await.unwrap().len(), 2);
}

#[apply(engines)]
#[tokio::test]
async fn events_come_back_newest_first(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    for i in 0..5 {
        t.store
            .record_event("error", "poll.failed", &format!("attempt {i}"))
            .await
            .unwrap();
    }
    let events = t.store.recent_events(3).await.unwrap();
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["attempt 4", "attempt 3", "attempt 2"]);
    assert_eq!(events[0].level, "error");
    assert_eq!(events[0].kind, "poll.failed");
}

#[apply(engines)]
#[tokio::test]
async fn concurrent_writers_in_two_processes_wait_instead_of_failing(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let id = one_item(&t).await;
    // A second Store on the same file stands for the CLI run beside the daemon.
    let other = t.reopen().await;
    let mut tasks = Vec::new();
    for n in 0..20u64 {
        let (a, b) = (t.store.clone(), other.clone());
        tasks.push(tokio::spawn(async move {
            let c = batch("m", vec![matched(post(1000 + n, "Croydon"), &["Croydon"])]);
            a.record_pages(&c).await.unwrap();
            b.add_note(id, "officer", &format!("note {n}"))
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(t.store.notes(id).await.unwrap().len(), 20);
    assert_eq!(t.all_items().await.len(), 21);
    assert_eq!(t.store.cursor("m").await.unwrap().unwrap().posts_read, 21);
}

#[apply(engines)]
#[tokio::test]
async fn an_undo_past_its_window_or_of_a_note_changes_nothing(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let id = one_item(&t).await;
    let (_, change) = t
        .store
        .transition_audited(id, Action::Dismiss, "sam")
        .await
        .unwrap();
    let late = t
        .store
        .undo(&[change], "sam", std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(late.items.is_empty());
    assert_eq!(late.refused[0].1, "it is too late to undo that change");
    t.store.add_note(id, "sam", "called them").await.unwrap();
    let note = t.store.audit(Some(id), 1).await.unwrap()[0].id;
    let not_undoable = t
        .store
        .undo(&[note], "sam", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        not_undoable.refused[0].1,
        "not a change to an item that can be undone"
    );
    assert_eq!(t.store.item(id).await.unwrap().status, Status::Dismissed);
    let undone = t
        .store
        .undo(&[change], "sam", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(undone.items, [id]);
    assert_eq!(t.store.item(id).await.unwrap().status, Status::New);
}

#[apply(engines)]
#[tokio::test]
async fn a_change_to_many_items_is_written_in_chunks_each_item_audited_and_undone_whole(
    #[case] engine: Engine,
) {
    use placewatch::domain::triage::{ItemChange, Priority, Tag};
    use placewatch::store::ItemFilter;
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let posts = (1..=1_200)
        .map(|id| matched(post(id, "Croydon bins"), &["Croydon"]))
        .collect();
    let mut ids = t
        .store
        .record_pages(&batch("m", posts))
        .await
        .unwrap()
        .new_items;
    assert_eq!(ids.len(), 1_200);
    // One id twice, and one that names no item: each item changes once.
    ids.push(ids[0]);
    ids.push(999_999);
    let applied = t
        .store
        .apply_change(
            &ids,
            &ItemChange::SetPriority(Priority::Urgent),
            "sam",
            None,
        )
        .await
        .unwrap();
    assert_eq!(applied.changed.len(), 1_200);
    assert_eq!(applied.missing, [999_999]);
    let urgent = ItemFilter {
        priority: Some(Priority::Urgent),
        ..Default::default()
    };
    assert_eq!(t.store.count_matching(&urgent).await.unwrap(), 1_200);
    let audit = t.store.audit(None, 5_000).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "item.priority_set")
            .count(),
        1_200
    );
    // Already urgent: skipped, nothing written.
    let again = t
        .store
        .apply_change(
            &ids[..3],
            &ItemChange::SetPriority(Priority::Urgent),
            "sam",
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.skipped.len(), 3);
    assert!(again.changed.is_empty());

    let undone = t
        .store
        .undo(
            &applied.entries(),
            "sam",
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(undone.items.len(), 1_200);
    assert!(undone.refused.is_empty());
    assert_eq!(t.store.count_matching(&urgent).await.unwrap(), 0);

    // A tag, found by the tag filter and the search markers alike.
    let tag = ItemChange::AddTag(Tag::parse("bins").unwrap());
    t.store
        .apply_change(&ids[..600], &tag, "sam", None)
        .await
        .unwrap();
    let tagged = |text: Option<&str>| ItemFilter {
        tag: Some("bins".into()),
        place: text.map(|_| "Croydon".into()),
        text: text.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(t.store.count_matching(&tagged(None)).await.unwrap(), 600);
    assert_eq!(
        t.store.count_matching(&tagged(Some("bins"))).await.unwrap(),
        600
    );
    assert_eq!(
        t.store
            .matching_ids(&tagged(None), 100)
            .await
            .unwrap()
            .len(),
        101
    );
}
