//! What the Debian package installs (`[package.metadata.deb]` in
//! Cargo.toml, `packaging/`): the configuration it puts in /etc loads as
//! placewatch reads it, every file it ships exists, and the systemd unit's
//! sandbox rates at most 2.0 by `systemd-analyze security` (when systemd's
//! tools are on the machine; CI's Debian has them).

use std::path::Path;
use std::process::Command;

use placewatch::config::Config;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_packaged_configuration_loads_and_keeps_data_in_var_lib() {
    let config = Config::load(&repo("packaging/placewatch.toml")).unwrap();
    assert_eq!(config.data.dir, Path::new("/var/lib/placewatch"));
    // The reference configuration, shipped as the example, loads too.
    Config::load(&repo("config/placewatch.toml")).unwrap();
}

#[test]
fn every_file_the_package_ships_is_in_the_repository() {
    let manifest: toml::Table = std::fs::read_to_string(repo("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().unwrap();
    assert!(assets.len() >= 5, "{assets:?}");
    for asset in assets {
        let source = asset[0].as_str().unwrap();
        if source.starts_with("target/") {
            continue; // built by `cargo deb`
        }
        assert!(repo(source).is_file(), "{source} is shipped but missing");
    }
    let scripts = deb["maintainer-scripts"].as_str().unwrap();
    for script in ["postinst", "postrm"] {
        let path = repo(scripts).join(script);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("#DEBHELPER#"), "{}", path.display());
    }
    let unit = deb["systemd-units"]["unit-scripts"].as_str().unwrap();
    assert!(repo(unit).join("placewatch.service").is_file());
}

#[test]
fn the_service_unit_exposes_at_most_2_0() {
    let unit = repo("packaging/placewatch.service");
    let out = match Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager", "--threshold=20"])
        .arg(&unit)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIPPED the unit's security rating: systemd-analyze: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let overall = stdout
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
    // "→ Overall exposure level for placewatch.service: 1.4 OK 🙂"
    let level: f64 = overall
        .rsplit(": ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{overall}"));
    assert!(level <= 2.0, "{overall}");
    assert!(out.status.success(), "{overall}");
}

/// The unit, the package's file list and the packaged config name the same
/// paths: the unit starts the binary the package installs, on the config it
/// installs as a conffile, and the config keeps its data in the directory
/// the unit's StateDirectory= makes for the unit's user.
#[test]
fn the_unit_runs_the_packaged_binary_on_the_packaged_config() {
    let manifest: toml::Table = std::fs::read_to_string(repo("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let installed = |source: &str| -> String {
        let asset = deb["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a[0].as_str() == Some(source))
            .unwrap_or_else(|| panic!("{source} is not shipped"));
        let dest = asset[1].as_str().unwrap();
        let name = Path::new(source).file_name().unwrap().to_str().unwrap();
        match dest.ends_with('/') {
            true => format!("/{dest}{name}"),
            false => format!("/{dest}"),
        }
    };
    let unit = std::fs::read_to_string(repo("packaging/placewatch.service")).unwrap();
    let setting = |key: &str| -> &str {
        unit.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("the unit has no {key}="))
    };
    let exec: Vec<&str> = setting("ExecStart").split_whitespace().collect();
    assert_eq!(exec[0], installed("target/release/placewatch"), "{exec:?}");
    let config_at = exec.iter().position(|w| *w == "--config").unwrap() + 1;
    let config_path = exec[config_at];
    assert_eq!(config_path, installed("packaging/placewatch.toml"));
    let conf_files: Vec<&str> = deb["conf-files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(conf_files, [config_path]);

    let user = setting("User");
    assert_eq!(user, "placewatch");
    let postinst = std::fs::read_to_string(repo("packaging/debian/postinst")).unwrap();
    assert!(postinst.contains(&format!("--group --no-create-home --home /var/lib/{user}")));
    let config = Config::load(&repo("packaging/placewatch.toml")).unwrap();
    let state = Path::new("/var/lib").join(setting("StateDirectory"));
    assert_eq!(config.data.dir, state);
    assert_eq!(setting("StateDirectoryMode"), "0700");
}

/// The maintainer scripts are valid `sh` (dpkg runs them with /bin/sh).
#[test]
fn the_maintainer_scripts_parse_as_sh() {
    for script in ["postinst", "postrm"] {
        let path = repo("packaging/debian").join(script);
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
