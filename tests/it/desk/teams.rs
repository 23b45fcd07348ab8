//! The teams page: every officer sees who items can be handed to.

use reqwest::StatusCode;

use super::{DeskTest, flash, location};

use crate::engine::engines;
use placewatch::store::Engine;
use rstest_reuse::apply;

const TEAMS: &str = r#"
[[teams]]
name = "Streets <team>"
emails = ["streets@croydon.example"]
members = ["sam", "dana"]
teams_webhook_env = "STREETS_TEAMS_WEBHOOK"

[[teams]]
name = "CleanCo street cleansing"
emails = ["reports@cleanco.example", "ops@cleanco.example"]
members = []
"#;

#[apply(engines)]
#[tokio::test]
async fn every_officer_sees_the_teams_and_where_referrals_go(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let vic = t.login("vic").await;
    let r = vic.get("/teams").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<bdi>Streets &#60;team&#62;</bdi>"), "{html}");
    assert!(html.contains(">CleanCo street cleansing</bdi>"), "{html}");
    assert!(html.contains("none (an outside contact)"), "{html}");
    assert!(html.contains("<a href=\"mailto:ops@cleanco.example\">ops@cleanco.example</a>"));
    // Members by username's order: an officer by name, one who is not an
    // officer yet by username.
    let officers = t.store.officers().await.unwrap();
    let sam = officers.iter().find(|o| o.username == "sam").unwrap();
    assert!(
        html.contains(&format!("<bdi>dana</bdi>, <bdi>{}</bdi>", sam.display_name)),
        "{html}"
    );
    assert!(html.contains("email, Microsoft Teams"), "{html}");
    assert!(html.contains("aria-current=\"page\">Teams</a>"), "{html}");
    t.stop().await;
}

/// The `<input>` or `<textarea>` with `id`, as the page has it.
fn field<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = html[..start].rfind('<').unwrap();
    let end = start + html[start..].find('>').unwrap();
    &html[open..=end]
}

#[apply(engines)]
#[tokio::test]
async fn an_admin_adds_a_team_and_changes_it(#[case] engine: Engine) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let alex = t.login("alex").await;
    let page = alex.get("/teams").await.text().await.unwrap();
    assert!(
        page.contains("<h2 id=\"add-team\">Add a team</h2>"),
        "{page}"
    );
    assert!(
        page.contains("Defined in placewatch.toml — change it there"),
        "config teams are not edited in the desk: {page}"
    );

    let r = alex
        .post(
            "/teams",
            &[
                ("name", " Parks "),
                ("emails", "parks@croydon.gov.uk\r\nops@parks.example"),
                ("members", "sam"),
                ("members", "priya"),
                ("teams_webhook_env", "PARKS_TEAMS_WEBHOOK"),
                ("slack_webhook_env", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash(&r), "Team “Parks” added.");
    let parks = t.store.team("parks").await.unwrap().unwrap();
    assert_eq!(parks.emails, ["parks@croydon.gov.uk", "ops@parks.example"]);
    assert_eq!(parks.members, ["priya", "sam"]);
    assert_eq!(
        parks.teams_webhook_env.as_deref(),
        Some("PARKS_TEAMS_WEBHOOK")
    );
    assert!(!parks.from_config);
    let page = alex.get(&location(&r)).await.text().await.unwrap();
    assert!(page.contains("Team “Parks” added."), "the notice: {page}");
    assert!(
        page.contains(&format!("href=\"/teams/{}\"", parks.id)),
        "{page}"
    );

    // The edit page holds what was saved; rename, new addresses, one member.
    let edit = alex.get(&format!("/teams/{}", parks.id)).await;
    assert_eq!(edit.status(), StatusCode::OK);
    let html = edit.text().await.unwrap();
    assert!(
        field(&html, "team-name").contains("value=\"Parks\""),
        "{html}"
    );
    assert!(html.contains("value=\"sam\" checked"), "{html}");
    let r = alex
        .post(
            &format!("/teams/{}", parks.id),
            &[
                ("name", "Parks and open spaces"),
                ("emails", "green@croydon.gov.uk"),
                ("members", "sam"),
                ("teams_webhook_env", ""),
                ("slack_webhook_env", "PARKS_SLACK"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(
        flash(&r),
        "Team “Parks” renamed to “Parks and open spaces” and saved."
    );
    let saved = t.store.team_by_id(parks.id).await.unwrap().unwrap();
    assert_eq!(saved.name, "Parks and open spaces");
    assert_eq!(saved.emails, ["green@croydon.gov.uk"]);
    assert_eq!(saved.members, ["sam"]);
    assert_eq!(saved.teams_webhook_env, None);
    assert_eq!(saved.slack_webhook_env.as_deref(), Some("PARKS_SLACK"));
    let actions: Vec<String> = t
        .store
        .audit(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "alex" && e.action.starts_with("team."))
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "team.webhooks_changed",
            "team.members_changed",
            "team.emails_changed",
            "team.renamed",
            "team.added"
        ]
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn a_refused_team_form_comes_back_with_errors_beside_fields_and_values_kept(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let alex = t.login("alex").await;
    let r = alex
        .post(
            "/teams",
            &[
                ("name", "streets <TEAM>"),
                ("emails", "Streets <streets@croydon.gov.uk>"),
                ("members", "sam"),
                ("teams_webhook_env", "https://hooks.example/secret-path"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    // Form errors first; the name is checked against the store once they pass.
    let emails = field(&html, "team-emails");
    assert!(emails.contains("aria-describedby=\"team-emails-hint team-emails-error\""));
    assert!(
        html.contains("id=\"team-emails-error\">Line 1: write the address alone"),
        "{html}"
    );
    assert!(
        field(&html, "team-teams-webhook")
            .contains("aria-describedby=\"team-webhook-hint team-teams-webhook-error\""),
        "{html}"
    );
    assert!(
        !html.contains("hooks.example/secret-path\" is"),
        "the value is not echoed in the error"
    );
    assert!(
        field(&html, "team-name").contains("value=\"streets &#60;TEAM&#62;\""),
        "kept, escaped: {html}"
    );
    assert!(html.contains("value=\"sam\" checked"), "ticks kept: {html}");
    assert!(
        html.contains("Streets &#60;streets@croydon.gov.uk&#62;</textarea>"),
        "{html}"
    );

    // A name another team has, ignoring case, is refused beside the name.
    let r = alex
        .post(
            "/teams",
            &[
                ("name", "streets <TEAM>"),
                ("emails", "streets2@croydon.gov.uk"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        field(&html, "team-name").contains("aria-describedby=\"team-name-error\""),
        "{html}"
    );
    assert!(
        html.contains(
            "id=\"team-name-error\">There is already a team called &#34;Streets &#60;team&#62;&#34;"
        ),
        "{html}"
    );
    assert_eq!(t.store.teams().await.unwrap().len(), 2, "nothing added");
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn only_admins_change_teams_with_the_forms_token_and_config_teams_are_refused(
    #[case] engine: Engine,
) {
    let Some(t) = DeskTest::on_with(engine, TEAMS).await else {
        return;
    };
    let form = [("name", "Parks"), ("emails", "parks@croydon.gov.uk")];
    for who in ["vic", "sam", "priya"] {
        let officer = t.login(who).await;
        let page = officer.get("/teams").await.text().await.unwrap();
        assert!(
            !page.contains("Add a team"),
            "{who} sees the page read-only"
        );
        assert!(!page.contains("change it there"), "{who}");
        assert_eq!(
            officer.post("/teams", &form).await.status(),
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let streets = t.store.team("Streets <team>").await.unwrap().unwrap();
    let sam = t.login("sam").await;
    let path = format!("/teams/{}", streets.id);
    assert_eq!(sam.get(&path).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(sam.post(&path, &form).await.status(), StatusCode::FORBIDDEN);

    let alex = t.login("alex").await;
    let r = alex.post_raw("/teams", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = alex
        .post_raw("/teams", &[("name", "Parks"), ("_csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a wrong CSRF token");
    assert_eq!(t.store.teams().await.unwrap().len(), 2);

    // A config team's page says where to change it and offers no form; a
    // forged post is refused.
    let html = alex.get(&path).await.text().await.unwrap();
    assert!(
        html.contains("Defined in placewatch.toml — change it there."),
        "{html}"
    );
    assert!(!html.contains("id=\"team-name\""), "{html}");
    let r = alex.post(&path, &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        t.store.team_by_id(streets.id).await.unwrap().unwrap(),
        streets
    );
    assert_eq!(
        alex.get("/teams/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[apply(engines)]
#[tokio::test]
async fn every_officer_sets_her_own_notifications_and_admins_set_addresses(#[case] engine: Engine) {
    let Some(t) = DeskTest::on(engine).await else {
        return;
    };
    let vic = t.login("vic").await;
    let page = vic.get("/settings").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("aria-current=\"page\">Settings</a>"),
        "{html}"
    );
    assert!(
        html.contains("value=\"immediately\" checked"),
        "the default: {html}"
    );

    let r = vic
        .post(
            "/settings",
            &[
                ("email", "vic@croydon.gov.uk"),
                ("notify", "digest"),
                ("digest_at", "07:30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flash(&r),
        "Saved: a daily digest goes to vic@croydon.gov.uk at 07:30 (UK time)."
    );
    let contact = t.store.officer_contact("vic").await.unwrap().unwrap();
    assert_eq!(contact.email.as_deref(), Some("vic@croydon.gov.uk"));
    assert_eq!(contact.notify.as_str(), "digest");
    assert_eq!(contact.digest_at.to_string(), "07:30");

    let r = vic
        .post(
            "/settings",
            &[
                ("email", "not an address"),
                ("notify", "digest"),
                ("digest_at", "7pm"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        field(&html, "email").contains("value=\"not an address\""),
        "{html}"
    );
    assert!(
        field(&html, "email").contains("aria-describedby=\"email-error\""),
        "{html}"
    );
    assert!(
        field(&html, "digest-at").contains("aria-describedby=\"digest-at-hint digest-at-error\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"digest\" checked"),
        "the choice kept: {html}"
    );
    assert_eq!(
        t.store.officer_contact("vic").await.unwrap().unwrap(),
        contact,
        "nothing saved"
    );
    assert_eq!(
        vic.post_raw("/settings", &[("notify", "none")])
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "CSRF required"
    );

    // An administrator sets (and fixes) another officer's address on /officers.
    let alex = t.login("alex").await;
    let r = alex
        .post("/officers/sam/email", &[("email", "sam@croydon.gov.uk")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash(&r), "sam's email address is now sam@croydon.gov.uk.");
    assert_eq!(
        t.store
            .officer_contact("sam")
            .await
            .unwrap()
            .unwrap()
            .email
            .as_deref(),
        Some("sam@croydon.gov.uk")
    );
    let html = alex.get("/officers").await.text().await.unwrap();
    assert!(
        field(&html, "email-sam").contains("value=\"sam@croydon.gov.uk\""),
        "{html}"
    );
    let r = alex.post("/officers/sam/email", &[("email", "sam@")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        field(&html, "email-sam").contains("aria-describedby=\"email-sam-error\""),
        "{html}"
    );
    let sam = t.login("sam").await;
    assert_eq!(
        sam.post("/officers/vic/email", &[("email", "x@croydon.gov.uk")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let audit = t.store.audit(None, 1000).await.unwrap();
    let changes: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "officer.contact_changed")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(changes, ["alex", "vic"]);
    t.stop().await;
}
