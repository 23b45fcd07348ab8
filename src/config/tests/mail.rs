//! `[mail]`: off when absent, defaults, loopback-only plain SMTP, addresses,
//! the password's variable, overrides, and errors naming key and line.

use super::*;

fn with_mail(keys: &str) -> String {
    format!("{MINIMAL}[mail]\n{keys}\n")
}

const M365: &str = "smtp_host = \"smtp.office365.com\"\nfrom = \"comms-desk@croydon.gov.uk\"";

#[test]
fn email_is_off_without_a_mail_section() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.mail, None);
    assert!(Secrets::resolve(&c, &secret_env).smtp_password.is_none());
    let rendered = c.render_effective_with_env(&no_env);
    assert!(rendered.contains("# [mail]: not configured, so email is off\n"));
}

#[test]
fn a_mail_section_gets_the_defaults_microsoft_365_needs() {
    let m = parse(&with_mail(M365)).unwrap().mail.unwrap();
    assert_eq!(m.smtp_host, "smtp.office365.com");
    assert_eq!(m.smtp_port, 587);
    assert_eq!(m.security, MailSecurity::Starttls);
    assert_eq!(m.username, None);
    assert_eq!(m.password_env, "PLACEWATCH_SMTP_PASSWORD");
    assert_eq!(m.from.to_string(), "comms-desk@croydon.gov.uk");
    assert_eq!(m.from_name, "Croydon Council comms desk");
    assert_eq!(m.timeout, Duration::from_secs(30));
    assert_eq!(m.ca_file, None);
    let tls = parse(&with_mail(&format!("{M365}\nsecurity = \"tls\""))).unwrap();
    assert_eq!(
        tls.mail.unwrap().smtp_port,
        465,
        "implicit TLS defaults to 465"
    );
    let set = parse(&with_mail(&format!(
        "{M365}\nsmtp_port = 2525\ntimeout_secs = 5"
    )));
    let set = set.unwrap().mail.unwrap();
    assert_eq!((set.smtp_port, set.timeout), (2525, Duration::from_secs(5)));
}

#[test]
fn plain_smtp_is_only_allowed_to_loopback() {
    for host in ["127.0.0.1", "127.0.0.53", "::1", "localhost", "LOCALHOST"] {
        let src = with_mail(&format!(
            "smtp_host = \"{host}\"\nsecurity = \"none\"\nfrom = \"a@b.example\""
        ));
        let m = parse(&src).unwrap().mail.unwrap();
        assert_eq!(
            (m.security, m.smtp_port),
            (MailSecurity::None, 25),
            "{host}"
        );
    }
    let e = err(&with_mail(&format!("{M365}\nsecurity = \"none\"")));
    assert!(
        e.starts_with("config/placewatch.toml:10: mail.security: \"none\" sends the messages"),
        "{e}"
    );
    assert!(e.contains("not \"smtp.office365.com\""), "{e}");
    let e = err(&with_mail(&format!("{M365}\nsecurity = \"ssl\"")));
    assert!(
        e.starts_with("config/placewatch.toml:10:12: mail.security: unknown variant `ssl`"),
        "{e}"
    );
}

#[test]
fn the_host_is_a_name_or_an_address_alone() {
    let host = |h: &str| {
        err(&with_mail(&format!(
            "smtp_host = \"{h}\"\nfrom = \"a@b.example\""
        )))
    };
    let e = host("smtp://smtp.office365.com");
    assert!(
        e.starts_with("config/placewatch.toml:8: mail.smtp_host: write the host name alone"),
        "{e}"
    );
    assert!(host("smtp.office365.com:587").contains("put the port in mail.smtp_port"));
    assert!(host("").contains("mail.smtp_host: must not be empty"));
    assert!(host("smtp office").contains("not a host name or IP address"));
    assert!(host("user@smtp.example").contains("not a host name or IP address"));
    let e = err(&with_mail(&format!("{M365}\nsmtp_port = 0")));
    assert!(
        e.ends_with("mail.smtp_port: must be between 1 and 65535, got 0"),
        "{e}"
    );
    let e = err(&with_mail(&format!("{M365}\ntimeout_secs = 301")));
    assert!(
        e.ends_with("mail.timeout_secs: must be between 1 and 300, got 301"),
        "{e}"
    );
}

#[test]
fn the_sender_is_an_address_and_a_clean_name() {
    let from = |f: &str| {
        err(&with_mail(&format!(
            "smtp_host = \"localhost\"\nfrom = \"{f}\""
        )))
    };
    let e = from("Croydon Council <comms@croydon.gov.uk>");
    assert!(
        e.starts_with("config/placewatch.toml:9: mail.from: write the address alone"),
        "{e}"
    );
    let e = from("comms desk");
    assert!(
        e.starts_with(
            "config/placewatch.toml:9: mail.from: \"comms desk\" is not an email address"
        ),
        "{e}"
    );
    let e = err(&with_mail(&format!(
        "{M365}\nfrom_name = \"Comms\\r\\nBcc: evil@example.com\""
    )));
    assert!(e.contains("mail.from_name: must be one line"), "{e}");
    let m = parse(&with_mail(&format!(
        "{M365}\nfrom_name = \"  Tîm  Cyfathrebu \""
    )))
    .unwrap();
    assert_eq!(m.mail.unwrap().from_name, "Tîm Cyfathrebu");
}

#[test]
fn a_missing_required_key_names_the_mail_table() {
    let e = err(&with_mail("smtp_host = \"localhost\""));
    assert_eq!(
        e,
        "config/placewatch.toml:7:1: mail.from: missing required key `from` in [mail]"
    );
}

#[test]
fn the_password_is_named_never_written() {
    let e = err(&with_mail(&format!(
        "{M365}\npassword = \"hunter2-secret\""
    )));
    assert!(
        e.starts_with("config/placewatch.toml:10:1: mail.password: unknown key"),
        "{e}"
    );
    assert!(
        e.contains("secrets are not config keys") && e.contains("mail.password_env"),
        "{e}"
    );
    assert!(!e.contains("hunter2-secret"), "{e}");
    let e = err(&with_mail(&format!(
        "{M365}\npassword_env = \"hunter2 secret\""
    )));
    assert!(
        e.starts_with("config/placewatch.toml:10: mail.password_env: must be the NAME"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let e = err(&with_mail(&format!(
        "{M365}\npassword_env = \"PLACEWATCH_CLIENT_SECRET\""
    )));
    assert!(
        e.ends_with("mail.password_env: names the same variable as x.client_secret_env"),
        "{e}"
    );
}

#[test]
fn the_password_is_read_only_for_a_login_and_never_shown() {
    let env = |name: &str| match name {
        "PLACEWATCH_SMTP_PASSWORD" => Some("smtp-hunter2".to_string()),
        other => secret_env(other),
    };
    let anonymous = parse(&with_mail(M365)).unwrap();
    assert!(Secrets::resolve(&anonymous, &env).smtp_password.is_none());
    let login = parse(&with_mail(&format!(
        "{M365}\nusername = \"comms-desk@croydon.gov.uk\""
    )));
    let login = login.unwrap();
    let secrets = Secrets::resolve(&login, &env);
    assert_eq!(
        secrets.smtp_password.as_ref().unwrap().expose_secret(),
        "smtp-hunter2"
    );
    let shown = format!(
        "{login:?} {secrets:?} {}",
        login.render_effective_with_env(&env)
    );
    assert!(!shown.contains("smtp-hunter2"), "{shown}");
    assert!(shown.contains("smtp_password: true"), "{shown}");
    assert!(
        shown.contains("password_env = \"PLACEWATCH_SMTP_PASSWORD\"  # set\n"),
        "{shown}"
    );
}

#[test]
fn the_mail_section_renders_and_loads_back() {
    let src = with_mail(&format!(
        "{M365}\nusername = \"comms-desk@croydon.gov.uk\"\nfrom_name = \"Comms & Co\"\nca_file = \"certs/relay.pem\""
    ));
    let c = Config::from_str_with_env(&src, Path::new("/etc/placewatch/pw.toml"), &no_env).unwrap();
    let m = c.mail.as_ref().unwrap();
    assert_eq!(
        m.ca_file.as_deref(),
        Some(Path::new("/etc/placewatch/certs/relay.pem"))
    );
    let rendered = c.render_effective_with_env(&no_env);
    assert!(rendered.contains(
        "\n[mail]\nsmtp_host = \"smtp.office365.com\"\nsmtp_port = 587\nsecurity = \"starttls\"\n\
         username = \"comms-desk@croydon.gov.uk\"\n\
         password_env = \"PLACEWATCH_SMTP_PASSWORD\"  # not set\n\
         from = \"comms-desk@croydon.gov.uk\"\nfrom_name = \"Comms & Co\"\ntimeout_secs = 30\n\
         ca_file = \"/etc/placewatch/certs/relay.pem\"\n"
    ), "{rendered}");
    let back = Config::from_str_with_env(&rendered, Path::new("/etc/placewatch/pw.toml"), &no_env);
    assert_eq!(back.unwrap(), c);
    let anonymous = parse(&with_mail(M365))
        .unwrap()
        .render_effective_with_env(&no_env);
    assert!(
        anonymous.contains("# username not set: no login"),
        "{anonymous}"
    );
    assert!(
        anonymous.contains("# not used without a username\n"),
        "{anonymous}"
    );
}

#[test]
fn environment_overrides_reach_the_mail_section() {
    let c = parse_env(
        MINIMAL,
        &[
            ("PLACEWATCH__MAIL__SMTP_HOST", "smtp.gmail.com"),
            ("PLACEWATCH__MAIL__FROM", "comms@croydon.gov.uk"),
            ("PLACEWATCH__MAIL__SMTP_PORT", "465"),
            ("PLACEWATCH__MAIL__SECURITY", "tls"),
        ],
    )
    .unwrap();
    let m = c.mail.unwrap();
    assert_eq!((m.smtp_host.as_str(), m.smtp_port), ("smtp.gmail.com", 465));
    assert_eq!(m.security, MailSecurity::Tls);
    let e = env_err(&with_mail(M365), &[("PLACEWATCH__MAIL__SECURITY", "none")]);
    assert!(
        e.starts_with("environment variable PLACEWATCH__MAIL__SECURITY: mail.security: \"none\""),
        "{e}"
    );
}

const OAUTH: &str = "username = \"comms-desk@croydon.gov.uk\"\nauth = \"xoauth2\"\n\
     oauth_token_url = \"https://login.microsoftonline.com/croydon.gov.uk/oauth2/v2.0/token\"\n\
     oauth_client_id = \"3f2a9c1e-0000-4000-8000-000000000001\"";

#[test]
fn xoauth2_gets_the_client_credentials_grant_and_microsofts_scope() {
    let m = parse(&with_mail(&format!("{M365}\n{OAUTH}")))
        .unwrap()
        .mail
        .unwrap();
    let MailAuth::Xoauth2(oauth) = &m.auth else {
        panic!("{:?}", m.auth);
    };
    assert_eq!(
        oauth.token_url.as_str(),
        "https://login.microsoftonline.com/croydon.gov.uk/oauth2/v2.0/token"
    );
    assert_eq!(oauth.client_id, "3f2a9c1e-0000-4000-8000-000000000001");
    assert_eq!(
        oauth.client_secret_env,
        "PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET"
    );
    assert_eq!(
        oauth.scope.as_deref(),
        Some("https://outlook.office365.com/.default")
    );
    assert_eq!(oauth.refresh_token_env, None);
    assert_eq!(oauth.grant(), "client_credentials");
    // The default stays a password (or no login).
    let plain = parse(&with_mail(M365)).unwrap().mail.unwrap();
    assert_eq!(plain.auth, MailAuth::Password);
}

#[test]
fn xoauth2_with_a_refresh_token_is_googles_way() {
    let src = with_mail(
        "smtp_host = \"smtp.gmail.com\"\nfrom = \"comms@croydon.example\"\n\
         username = \"comms@croydon.example\"\nauth = \"xoauth2\"\n\
         oauth_token_url = \"https://oauth2.googleapis.com/token\"\n\
         oauth_client_id = \"1234.apps.googleusercontent.com\"\n\
         oauth_refresh_token_env = \"PLACEWATCH_SMTP_REFRESH_TOKEN\"",
    );
    let m = parse(&src).unwrap().mail.unwrap();
    let MailAuth::Xoauth2(oauth) = &m.auth else {
        panic!("{:?}", m.auth);
    };
    assert_eq!(oauth.scope, None, "the refresh token carries its scopes");
    assert_eq!(oauth.grant(), "refresh_token");
    let src = src.replace(
        "auth = \"xoauth2\"",
        "auth = \"xoauth2\"\noauth_scope = \"https://mail.google.com/\"",
    );
    let m = parse(&src).unwrap().mail.unwrap();
    let MailAuth::Xoauth2(oauth) = &m.auth else {
        panic!("{:?}", m.auth);
    };
    assert_eq!(oauth.scope.as_deref(), Some("https://mail.google.com/"));
}

#[test]
fn xoauth2_errors_name_the_key_and_line() {
    // A mailbox to sign in as: reported at the [mail] header (line 7).
    let e = err(&with_mail(&format!(
        "{M365}\nauth = \"xoauth2\"\noauth_token_url = \"https://a.example/token\"\n\
         oauth_client_id = \"x\""
    )));
    assert!(
        e.starts_with(
            "config/placewatch.toml:7: mail.username: auth = \"xoauth2\" signs in as a mailbox"
        ),
        "{e}"
    );
    let without = |key: &str| {
        let keys: Vec<&str> = OAUTH.lines().filter(|l| !l.starts_with(key)).collect();
        err(&with_mail(&format!("{M365}\n{}", keys.join("\n"))))
    };
    let e = without("oauth_token_url");
    assert!(
        e.starts_with("config/placewatch.toml:7: mail.oauth_token_url: auth = \"xoauth2\" needs the token endpoint"),
        "{e}"
    );
    let e = without("oauth_client_id");
    assert!(
        e.starts_with("config/placewatch.toml:7: mail.oauth_client_id: auth = \"xoauth2\" needs"),
        "{e}"
    );
    let url = |u: &str| {
        err(&with_mail(&format!(
            "{M365}\n{}",
            OAUTH.replace(
                "https://login.microsoftonline.com/croydon.gov.uk/oauth2/v2.0/token",
                u
            )
        )))
    };
    let e = url("http://login.example/token");
    assert!(
        e.starts_with("config/placewatch.toml:12: mail.oauth_token_url: must be https"),
        "{e}"
    );
    assert!(url("login.example/token").contains("mail.oauth_token_url: not a URL"));
    assert!(url("ftp://login.example/token").contains("must be an https URL"));
    assert!(
        url("https://app:s3cret@login.example/token")
            .contains("must not hold a user name or password")
    );
    // Loopback may be plain http (a local endpoint, the tests').
    for ok in [
        "http://127.0.0.1:8123/token",
        "http://localhost/t",
        "http://[::1]:9/t",
    ] {
        let src = with_mail(&format!(
            "{M365}\n{}",
            OAUTH.replace(
                "https://login.microsoftonline.com/croydon.gov.uk/oauth2/v2.0/token",
                ok
            )
        ));
        assert!(parse(&src).is_ok(), "{ok}");
    }
    let e = err(&with_mail(&format!("{M365}\n{OAUTH}\noauth_scope = \" \"")));
    assert!(
        e.starts_with("config/placewatch.toml:14: mail.oauth_scope: must not be empty"),
        "{e}"
    );
    let e = err(&with_mail(&format!("{M365}\nauth = \"oauth\"")));
    assert!(
        e.starts_with("config/placewatch.toml:10:8: mail.auth: unknown variant `oauth`"),
        "{e}"
    );
}

#[test]
fn oauth_keys_need_xoauth2() {
    let e = err(&with_mail(&format!(
        "{M365}\noauth_client_id = \"3f2a9c1e\""
    )));
    assert!(
        e.starts_with("config/placewatch.toml:10: mail.oauth_client_id: is only used with mail.auth = \"xoauth2\""),
        "{e}"
    );
}

#[test]
fn xoauth2_secrets_are_named_never_written_and_checked_with_the_others() {
    let e = err(&with_mail(&format!(
        "{M365}\n{OAUTH}\noauth_client_secret_env = \"Q~abc.secret value\""
    )));
    assert!(
        e.starts_with("config/placewatch.toml:14: mail.oauth_client_secret_env: must be the NAME"),
        "{e}"
    );
    assert!(!e.contains("Q~abc"), "{e}");
    let e = err(&with_mail(&format!(
        "{M365}\n{OAUTH}\noauth_client_secret_env = \"PLACEWATCH_SMTP_PASSWORD\""
    )));
    assert!(
        e.ends_with("mail.oauth_client_secret_env: names the same variable as mail.password_env"),
        "{e}"
    );
    let e = err(&with_mail(&format!(
        "{M365}\n{OAUTH}\noauth_refresh_token_env = \"PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET\""
    )));
    assert!(
        e.ends_with(
            "mail.oauth_refresh_token_env: names the same variable as mail.oauth_client_secret_env"
        ),
        "{e}"
    );
    let e = err(&with_mail(&format!(
        "{M365}\n{OAUTH}\noauth_client_secret = \"Q~abc\""
    )));
    assert!(e.contains("secrets are not config keys"), "{e}");
    assert!(!e.contains("Q~abc"), "{e}");
    // A team's webhook may not use the client secret's variable either.
    let e = err(&format!(
        "{}\n[[teams]]\nname = \"Streets\"\nemails = [\"streets@croydon.gov.uk\"]\n\
         slack_webhook_env = \"PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET\"\n",
        with_mail(&format!("{M365}\n{OAUTH}"))
    ));
    assert!(
        e.contains("names the same variable as mail.oauth_client_secret_env"),
        "{e}"
    );
}

#[test]
fn xoauth2_secrets_are_read_and_never_shown() {
    let env = |name: &str| match name {
        "PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET" => Some("Q~client-secret-value".to_string()),
        "PLACEWATCH_SMTP_REFRESH" => Some("1//refresh-value".to_string()),
        "PLACEWATCH_SMTP_PASSWORD" => Some("smtp-hunter2".to_string()),
        other => secret_env(other),
    };
    let c = parse(&with_mail(&format!(
        "{M365}\n{OAUTH}\noauth_refresh_token_env = \"PLACEWATCH_SMTP_REFRESH\""
    )))
    .unwrap();
    let secrets = Secrets::resolve(&c, &env);
    assert_eq!(
        secrets
            .smtp_oauth_client_secret
            .as_ref()
            .unwrap()
            .expose_secret(),
        "Q~client-secret-value"
    );
    assert_eq!(
        secrets
            .smtp_oauth_refresh_token
            .as_ref()
            .unwrap()
            .expose_secret(),
        "1//refresh-value"
    );
    assert!(
        secrets.smtp_password.is_none(),
        "no password is read for xoauth2"
    );
    let rendered = c.render_effective_with_env(&env);
    let shown = format!("{c:?} {secrets:?} {rendered}");
    for secret in ["Q~client-secret-value", "1//refresh-value", "smtp-hunter2"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        rendered.contains(
            "auth = \"xoauth2\"\n\
             oauth_token_url = \"https://login.microsoftonline.com/croydon.gov.uk/oauth2/v2.0/token\"\n\
             oauth_client_id = \"3f2a9c1e-0000-4000-8000-000000000001\"\n\
             oauth_client_secret_env = \"PLACEWATCH_SMTP_OAUTH_CLIENT_SECRET\"  # set\n\
             # oauth_scope not set: the refresh token's own scopes\n\
             oauth_refresh_token_env = \"PLACEWATCH_SMTP_REFRESH\"  # set\n"
        ),
        "{rendered}"
    );
    assert!(
        rendered.contains(
            "password_env = \"PLACEWATCH_SMTP_PASSWORD\"  # not used with auth = \"xoauth2\"\n"
        ),
        "{rendered}"
    );
    let back = Config::from_str_with_env(&rendered, Path::new(PATH), &env).unwrap();
    assert_eq!(back.mail, c.mail);
}

#[test]
fn environment_overrides_reach_the_oauth_keys() {
    let c = parse_env(
        &with_mail(&format!("{M365}\n{OAUTH}")),
        &[(
            "PLACEWATCH__MAIL__OAUTH_TOKEN_URL",
            "https://login.microsoftonline.com/other-tenant/oauth2/v2.0/token",
        )],
    )
    .unwrap();
    let MailAuth::Xoauth2(oauth) = c.mail.unwrap().auth else {
        panic!("xoauth2 expected");
    };
    assert!(oauth.token_url.as_str().contains("other-tenant"));
    let e = env_err(
        &with_mail(&format!("{M365}\n{OAUTH}")),
        &[("PLACEWATCH__MAIL__OAUTH_TOKEN_URL", "http://evil.example/t")],
    );
    assert!(
        e.starts_with(
            "environment variable PLACEWATCH__MAIL__OAUTH_TOKEN_URL: mail.oauth_token_url: must be https"
        ),
        "{e}"
    );
}
