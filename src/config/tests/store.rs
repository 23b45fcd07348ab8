//! `[store]`: the SQLite file in the data directory by default, a SQLite
//! path or a PostgreSQL URL, the password's variable, and errors naming
//! key and line.

use super::*;

fn with_store(keys: &str) -> String {
    format!("{MINIMAL}[store]\n{keys}\n")
}

#[test]
fn the_store_is_the_sqlite_file_in_the_data_directory_by_default() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.store.database, Database::Sqlite(c.data.dir.join(DB_FILE)));
    assert_eq!(c.store.password_env, None);
    let rendered = c.render_effective_with_env(&no_env);
    let url = format!("url = \"sqlite://{}\"", c.data.dir.join(DB_FILE).display());
    assert!(
        rendered.contains(&format!("[store]\n{url}\n")),
        "{rendered}"
    );
    assert_eq!(parse(&rendered).unwrap().store, c.store, "{rendered}");
}

#[test]
fn a_sqlite_path_is_resolved_against_the_config_file() {
    let c = parse(&with_store("url = \"sqlite://db/desk.db\"")).unwrap();
    let config_dir = std::env::current_dir().unwrap().join("config");
    assert_eq!(
        c.store.database,
        Database::Sqlite(config_dir.join("db/desk.db"))
    );
    let c = parse(&with_store("url = \"sqlite:///var/lib/placewatch/x.db\"")).unwrap();
    assert_eq!(
        c.store.database,
        Database::Sqlite("/var/lib/placewatch/x.db".into())
    );
}

#[test]
fn a_postgres_url_keeps_its_tls_mode_and_its_password_is_never_shown() {
    let c = parse(&with_store(
        "url = \"postgresql://desk:in-url-hunter2@db.internal:5433/pw?sslmode=verify-full\"\n\
         password_env = \"PLACEWATCH_PG_PASSWORD\"",
    ))
    .unwrap();
    let Database::Postgres(url) = &c.store.database else {
        panic!("{:?}", c.store)
    };
    assert_eq!(url.host_str(), Some("db.internal"));
    assert_eq!(url.port(), Some(5433));
    assert!(url.query().unwrap().contains("sslmode=verify-full"));
    assert_eq!(
        c.store.password_env.as_deref(),
        Some("PLACEWATCH_PG_PASSWORD")
    );
    let env = |name: &str| (name == "PLACEWATCH_PG_PASSWORD").then(|| "pg-hunter2".to_string());
    let secrets = Secrets::resolve(&c, &env);
    assert_eq!(
        secrets.store_password.as_ref().unwrap().expose_secret(),
        "pg-hunter2"
    );
    let shown = format!("{secrets:?} {}", c.render_effective_with_env(&env));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("store_password: true"), "{shown}");
    assert!(
        shown
            .contains("url = \"postgresql://desk:****@db.internal:5433/pw?sslmode=verify-full\"\n"),
        "{shown}"
    );
    assert!(
        shown.contains("password_env = \"PLACEWATCH_PG_PASSWORD\"  # set\n"),
        "{shown}"
    );
}

#[test]
fn store_errors_name_the_key_and_line_and_never_quote_the_url() {
    let e = err(&with_store("url = \"mysql://desk:hunter2@db/pw\""));
    assert!(
        e.starts_with("config/placewatch.toml:8: store.url: must be sqlite://PATH"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let e = err(&with_store(
        "url = \"postgres://desk:hunter2@db/pw?sslmode=sometimes\"",
    ));
    assert!(
        e.starts_with("config/placewatch.toml:8: store.url: sslmode=sometimes is not one of"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let e = err(&with_store("url = \"sqlite://x.db?mode=ro\""));
    assert!(
        e.starts_with("config/placewatch.toml:8: store.url: takes no parameters"),
        "{e}"
    );
    let e = err(&with_store(
        "url = \"sqlite://x.db\"\npassword_env = \"PLACEWATCH_PG_PASSWORD\"",
    ));
    assert!(
        e.starts_with(
            "config/placewatch.toml:9: store.password_env: is only used with a PostgreSQL"
        ),
        "{e}"
    );
    let e = err(&with_store(
        "url = \"postgres://db/pw\"\npassword_env = \"pg hunter2\"",
    ));
    assert!(
        e.starts_with("config/placewatch.toml:9: store.password_env: must be the NAME"),
        "{e}"
    );
    let e = err(&with_store(
        "url = \"postgres://db/pw\"\npassword_env = \"PLACEWATCH_CLIENT_SECRET\"",
    ));
    assert!(
        e.ends_with("store.password_env: names the same variable as x.client_secret_env"),
        "{e}"
    );
}

#[test]
fn the_url_can_come_from_the_environment() {
    let c = parse_env(
        MINIMAL,
        &[(
            "PLACEWATCH__STORE__URL",
            "postgres://desk:env-hunter2@db/pw",
        )],
    )
    .unwrap();
    let Database::Postgres(url) = &c.store.database else {
        panic!("{:?}", c.store)
    };
    assert_eq!(url.password(), Some("env-hunter2"));
}
