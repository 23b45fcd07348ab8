//! The store file for operators: `placewatch store status` (schema version,
//! pending migrations, size), `placewatch backup --to FILE [--with-tokens]`
//! (a consistent copy while the daemon runs) and `placewatch restore --from
//! FILE` (the daemon stopped; a sound file of a schema this build knows).
//! None of them migrates the store: see `store::schema`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Failure, block_on};
use crate::app::{DB_FILE, daemon_running};
use crate::config::Config;
use crate::domain::figures::thousands;
use crate::store::Store;
use crate::store::schema::{self, SchemaStatus};
use crate::x::auth::TOKEN_FILE;

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, clap::Subcommand)]
enum StoreCommand {
    /// The schema version, migrations pending for this build, and the size.
    Status {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Copies a whole store into an empty one, SQLite or PostgreSQL either
    /// way (stop the daemon first: what it writes after the copy began is
    /// not copied). A PostgreSQL password comes from the URL, PGPASSWORD or
    /// ~/.pgpass, as libpq's.
    Copy {
        /// sqlite://PATH or postgres://USER@HOST:PORT/DB
        #[arg(long, value_name = "URL")]
        from: String,
        /// An empty store (a new SQLite file, or a database with no tables
        /// or placewatch's schema and no rows).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Where to write the copy (it must not exist).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Copy the council account's token file too, to FILE.tokens.json (0600).
    #[arg(long)]
    with_tokens: bool,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The backup to put in place of the store.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
}

fn words(status: &SchemaStatus) -> String {
    let pending = match status.pending.as_slice() {
        [] => "none".to_owned(),
        versions => format!(
            "{} ({}), applied when placewatch next starts",
            versions.len(),
            versions
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "schema version {} (this placewatch knows up to {})\npending migrations: {pending}\nsize: {:.1} MB",
        status.version,
        SchemaStatus::known(),
        status.bytes as f64 / 1e6
    )
}

/// The store file named by `config`, which must exist.
fn store_file(config: &Config) -> Result<PathBuf, Failure> {
    let path = config.data.dir.join(DB_FILE);
    if !path.is_file() {
        return Err(Failure::Usage(format!(
            "there is no store at {} (data.dir in {})",
            path.display(),
            config.source.display()
        )));
    }
    Ok(path)
}

/// `placewatch store …`.
pub fn run(args: StoreArgs) -> Result<(), Failure> {
    match args.command {
        StoreCommand::Status { config, json } => status(&config, json),
        StoreCommand::Copy { from, to } => copy(&from, &to),
    }
}

/// `placewatch store copy`: table by table, with a progress bar on a
/// terminal, the counts checked at the end.
fn copy(from: &str, to: &str) -> Result<(), Failure> {
    use std::io::{IsTerminal, Write};
    if from == to {
        return Err(Failure::Usage("--from and --to name the same store".into()));
    }
    let bar = std::io::stderr().is_terminal();
    block_on(async {
        let source = Store::connect(from, None)
            .await
            .context("opening the store to copy (--from)")?;
        let target = Store::connect(to, None)
            .await
            .context("opening the store to copy into (--to)")?;
        let copied = source
            .copy_into(&target, |table, done, total| {
                if bar {
                    let width = 30;
                    let filled = (done * width as u64)
                        .checked_div(total)
                        .map_or(width, |n| usize::try_from(n).unwrap_or(width).min(width));
                    let _ = write!(
                        std::io::stderr(),
                        "\r{table:<22} [{}{}] {} / {}   ",
                        "#".repeat(filled),
                        ".".repeat(width - filled),
                        thousands(done),
                        thousands(total)
                    );
                    if done == total {
                        let _ = writeln!(std::io::stderr());
                    }
                }
            })
            .await
            .context("copying the store")?;
        for c in &copied {
            println!("{:<22} {:>12} rows", c.table, thousands(c.rows));
        }
        let rows: u64 = copied.iter().map(|c| c.rows).sum();
        println!(
            "copied {} rows in {} tables; every table's rows counted again in the target",
            thousands(rows),
            copied.len()
        );
        source.close().await;
        target.close().await;
        Ok(())
    })
}

fn status(config: &Path, json: bool) -> Result<(), Failure> {
    let config = Config::load(config)?;
    let path = store_file(&config)?;
    let status = block_on_status(schema::status(&path))?;
    if json {
        let json = serde_json::to_string_pretty(&status).map_err(anyhow::Error::from)?;
        println!("{json}");
    } else {
        println!("store: {}", path.display());
        println!("{}", words(&status));
        if !status.unknown.is_empty() {
            println!(
                "written by a newer placewatch (migrations {:?} are unknown here): this version will not open it",
                status.unknown
            );
        }
    }
    Ok(())
}

fn block_on_status(
    status: impl Future<Output = Result<SchemaStatus, crate::store::StoreError>>,
) -> Result<SchemaStatus, Failure> {
    let mut out = None;
    block_on(async {
        out = Some(status.await?);
        Ok(())
    })?;
    out.ok_or_else(|| Failure::Runtime(anyhow::anyhow!("the store was not read")))
}

pub fn backup(args: BackupArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    let path = store_file(&config)?;
    let status = block_on_status(schema::backup(&path, &args.to))?;
    println!(
        "{}: a copy of {} at schema version {} ({:.1} MB)",
        args.to.display(),
        path.display(),
        status.version,
        status.bytes as f64 / 1e6
    );
    if args.with_tokens {
        let tokens = config.data.dir.join(TOKEN_FILE);
        let to = tokens_beside(&args.to);
        let bytes = std::fs::read(&tokens)
            .with_context(|| format!("reading the token file {}", tokens.display()))?;
        crate::files::write_private(&to, &bytes)
            .with_context(|| format!("writing {}", to.display()))?;
        println!("{}: the council account's tokens (0600)", to.display());
    }
    Ok(())
}

/// Where `--with-tokens` puts the token file: beside the backup.
fn tokens_beside(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".tokens.json");
    PathBuf::from(name)
}

pub fn restore(args: RestoreArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    let dir = &config.data.dir;
    if daemon_running(dir).with_context(|| format!("checking {}", dir.display()))? {
        return Err(Failure::Usage(format!(
            "a placewatch daemon is running on {}: stop it first (systemctl stop placewatch)",
            dir.display()
        )));
    }
    let status = block_on_status(schema::check_backup(&args.from))?;
    crate::files::private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let target = dir.join(DB_FILE);
    // Copied beside the store, then renamed over it: never half a store.
    let staged = dir.join(format!("{DB_FILE}.restoring"));
    std::fs::copy(&args.from, &staged)
        .with_context(|| format!("copying {} into {}", args.from.display(), dir.display()))?;
    crate::files::private_file_if_exists(&staged)
        .with_context(|| format!("making {} private", staged.display()))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", staged.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::from(e)
                    .context("removing the old WAL")
                    .into());
            }
            _ => {}
        }
    }
    std::fs::rename(&staged, &target)
        .with_context(|| format!("putting the backup in place at {}", target.display()))?;
    println!(
        "{} restored from {} (schema version {}; {})",
        target.display(),
        args.from.display(),
        status.version,
        match status.pending.len() {
            0 => "up to date for this placewatch".to_owned(),
            n => format!("{n} migrations to apply when placewatch next starts"),
        }
    );
    Ok(())
}
