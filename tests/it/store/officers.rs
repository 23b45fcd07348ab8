//! Officers, sessions and the audit log, on both engines (`crate::engine`): the
//! desk's sign-in as the store sees it, and history nobody can rewrite.

use placewatch::domain::officer::Role;
use placewatch::store::{NewAudit, NewOfficer, StoreError};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::TestStore;
use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

fn sam() -> NewOfficer<'static> {
    NewOfficer {
        username: "sam",
        display_name: "Sam Patel",
        role: Role::Officer,
        password_hash: "$argon2id$fake",
    }
}

#[apply(engines)]
#[tokio::test]
async fn officers_are_unique_audited_and_disabling_ends_sessions(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (store, engine) = (&t.store, t.engine());
    let sam = store.add_officer(&sam(), "admin").await.unwrap();
    assert!(
        matches!(
            store.add_officer(&self::sam(), "admin").await,
            Err(StoreError::Conflict(_))
        ),
        "{engine}"
    );
    let later = OffsetDateTime::now_utc() + Duration::hours(1);
    store
        .create_session(&sam, b"hash-1", "csrf-1", later)
        .await
        .unwrap();
    let session = store.session(b"hash-1").await.unwrap().unwrap();
    assert_eq!(session.officer, sam, "{engine}");
    assert_eq!(session.csrf_token, "csrf-1", "{engine}");
    assert_eq!(store.session(b"other").await.unwrap(), None, "{engine}");

    let disabled = store
        .set_officer_disabled("sam", true, "admin")
        .await
        .unwrap();
    assert!(disabled.disabled, "{engine}");
    assert_eq!(store.session(b"hash-1").await.unwrap(), None, "{engine}");
    let (officer, hash) = store.officer_credentials("sam").await.unwrap().unwrap();
    assert!(officer.disabled, "{engine}");
    assert_eq!(hash, "$argon2id$fake", "{engine}");
    assert_eq!(store.officer_credentials("nobody").await.unwrap(), None);
    let enabled = store
        .set_officer_disabled("sam", false, "admin")
        .await
        .unwrap();
    assert!(!enabled.disabled, "{engine}");
    assert_eq!(store.officers().await.unwrap(), [enabled], "{engine}");

    let actions: Vec<String> = store
        .audit(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "officer.enabled",
            "officer.disabled",
            "officer.logged_in",
            "officer.added"
        ],
        "{engine}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn expired_and_ended_sessions_are_not_sessions(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (store, engine) = (&t.store, t.engine());
    let sam = store.add_officer(&sam(), "admin").await.unwrap();
    let past = OffsetDateTime::now_utc() - Duration::seconds(1);
    store.create_session(&sam, b"old", "c", past).await.unwrap();
    assert_eq!(store.session(b"old").await.unwrap(), None, "{engine}");
    store.end_session(b"old").await.unwrap();

    let later = OffsetDateTime::now_utc() + Duration::hours(1);
    store
        .create_session(&sam, b"new", "c", later)
        .await
        .unwrap();
    assert!(store.session(b"new").await.unwrap().is_some(), "{engine}");
    store.end_session(b"new").await.unwrap();
    assert_eq!(store.session(b"new").await.unwrap(), None, "{engine}");
    let newest = &store.audit(None, 1).await.unwrap()[0];
    assert_eq!(
        (newest.actor.as_str(), newest.action.as_str()),
        ("sam", "officer.logged_out"),
        "{engine}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn a_password_reset_ends_sessions_and_roles_change_audited(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (store, engine) = (&t.store, t.engine());
    let sam = store.add_officer(&sam(), "admin").await.unwrap();
    let later = OffsetDateTime::now_utc() + Duration::hours(1);
    store.create_session(&sam, b"h", "c", later).await.unwrap();
    store
        .set_officer_password("sam", "$argon2id$new", "sam")
        .await
        .unwrap();
    assert_eq!(store.session(b"h").await.unwrap(), None, "{engine}");
    let (_, hash) = store.officer_credentials("sam").await.unwrap().unwrap();
    assert_eq!(hash, "$argon2id$new", "{engine}");
    let sam = store
        .set_officer_role("sam", Role::Approver, "admin")
        .await
        .unwrap();
    assert_eq!(sam.role, Role::Approver, "{engine}");
    assert!(
        matches!(
            store.set_officer_role("nobody", Role::Admin, "admin").await,
            Err(StoreError::Conflict(_))
        ),
        "{engine}"
    );
    let role_change = &store.audit(None, 1).await.unwrap()[0];
    assert_eq!(role_change.action, "officer.role_changed", "{engine}");
    assert_eq!(
        role_change.before,
        Some(json!({ "username": "sam", "role": "officer" })),
        "{engine}"
    );
    assert_eq!(
        role_change.after,
        Some(json!({ "username": "sam", "role": "approver" })),
        "{engine}"
    );
}

#[apply(engines)]
#[tokio::test]
async fn the_audit_log_keeps_what_is_appended_and_refuses_every_rewrite(#[case] engine: Engine) {
    let Some(t) = TestStore::on(engine).await else {
        return;
    };
    let (store, engine) = (&t.store, t.engine());
    store.add_officer(&sam(), "admin").await.unwrap();
    let sent = NewAudit {
        actor: "placewatch".into(),
        action: "mail.sent".into(),
        item_id: None,
        before: None,
        after: Some(json!({ "to": ["parks@croydon.gov.uk"], "n": 2 })),
        detail: Some("weekly report ✓ «Thornton Heath»".into()),
    };
    store.append_audit(&sent).await.unwrap();
    let orphan = NewAudit {
        item_id: Some(999),
        ..sent.clone()
    };
    assert!(
        matches!(
            store.append_audit(&orphan).await,
            Err(StoreError::NotFound {
                what: "item",
                id: 999
            })
        ),
        "{engine}"
    );
    let before = store.audit(None, 10).await.unwrap();
    assert_eq!(before.len(), 2, "{engine}");
    let newest = &before[0];
    assert_eq!(
        (&newest.actor, &newest.action, &newest.after, &newest.detail),
        (&sent.actor, &sent.action, &sent.after, &sent.detail),
        "{engine}"
    );
    assert!(before[0].id > before[1].id, "{engine}");

    let mut raw = t.conn().await;
    for sql in [
        "UPDATE audit SET actor = 'someone else'",
        "UPDATE audit SET state_after = NULL WHERE action = 'mail.sent'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE action = 'officer.added'",
    ] {
        let err = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        assert!(
            err.to_string().contains("append-only"),
            "{engine}: {sql}: {err}"
        );
    }
    assert_eq!(store.audit(None, 10).await.unwrap(), before, "{engine}");
}
