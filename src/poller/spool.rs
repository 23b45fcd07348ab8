//! The page spool: each page read from X is written to a file of its own,
//! numbered in the order read, as soon as it arrives and before it is tagged
//! and committed. X bills a page when it serves it, and the poller keeps up
//! to [`PAGES_IN_FLIGHT`](super::PAGES_IN_FLIGHT) pages read and not yet
//! committed; without the spool a crash (SIGKILL, OOM) would lose them and
//! the next run would read them again. With it, the next poll of the
//! monitor first stores the spooled pages the store has not (the cursor
//! row's `spooled_through` is the last one committed, set in the page's
//! transaction), then goes on from there. A crash now costs at most the
//! page on the wire.
//!
//! Layout: `<data dir>/spool/<monitor>/<number>.json`, where `<monitor>` is
//! the first 16 hex digits of the SHA-256 of the monitor's key (keys are
//! query texts) and each file holds a [`SpooledPage`]. Files are written to
//! a temporary name and renamed, so a file is whole or absent. They are not
//! synced: the OS keeps them if the process dies, as SQLite's WAL in the
//! store's `synchronous = NORMAL`; a power cut loses at most re-reads.
//! Committed pages' files are deleted after the commit, and the pages of
//! monitors the config no longer has when the daemon starts (`retain`).

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::post::{Author, Post};
use crate::x::Page;
use crate::x::wire::Meta;

/// The spool directory of a data directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

/// What a spool file holds: the page as decoded (each post keeps its raw
/// JSON) and the key of the monitor it was read for (which names its query).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpooledPage {
    pub monitor: String,
    pub posts: Vec<Post>,
    pub authors: Vec<Author>,
    pub referenced: Vec<Post>,
    pub meta: Meta,
}

/// [`SpooledPage`] as written, borrowing the page.
#[derive(Serialize)]
struct SpooledRef<'a> {
    monitor: &'a str,
    posts: &'a [Post],
    authors: &'a [Author],
    referenced: &'a [Post],
    meta: &'a Meta,
}

impl SpooledPage {
    /// The page as the client returned it (without the rate-limit headers
    /// and partial errors, which do not outlive the response).
    pub fn into_page(self) -> Page {
        Page {
            posts: self.posts,
            authors: self.authors,
            referenced: self.referenced,
            meta: self.meta,
            ..Page::default()
        }
    }
}

/// A monitor's spooled pages, in order, as [`Spool::pages`] found them.
#[derive(Debug, Default)]
pub struct Spooled {
    /// Pages numbered from the committed one's next on without a gap, each
    /// whole: these are stored before the next poll.
    pub pages: Vec<(u64, SpooledPage)>,
    /// Files that cannot be stored: committed already, after a gap, or
    /// unreadable. Removed by [`Spool::pages`].
    pub discarded: usize,
    /// The highest number found, stored or not.
    pub last: u64,
}

impl Spool {
    /// The spool under `data_dir`, created if missing.
    pub fn open(data_dir: &Path) -> io::Result<Spool> {
        let dir = data_dir.join("spool");
        crate::files::private_dir(&dir)?;
        Ok(Spool { dir })
    }

    /// Removes the spooled pages of monitors other than `monitors` (keys):
    /// the config dropped or changed their queries, and a changed query's
    /// monitor starts afresh. Returns how many monitors' pages it removed.
    pub fn retain(&self, monitors: &[&str]) -> io::Result<usize> {
        let keep: Vec<PathBuf> = monitors.iter().map(|m| self.monitor_dir(m)).collect();
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let ours = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 16 && n.bytes().all(|b| b.is_ascii_hexdigit()));
            if ours && path.is_dir() && !keep.contains(&path) {
                fs::remove_dir_all(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes every spooled page: another replica held the work lease
    /// since these were read, and may have stored them or moved the
    /// cursors past them (see `replica`). They are read again if needed.
    /// Returns how many monitors' pages it removed.
    pub fn clear(&self) -> io::Result<usize> {
        self.retain(&[])
    }

    fn monitor_dir(&self, monitor: &str) -> PathBuf {
        let digest = Sha256::digest(monitor.as_bytes());
        let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(name)
    }

    fn file(&self, monitor: &str, number: u64) -> PathBuf {
        self.monitor_dir(monitor).join(format!("{number:020}.json"))
    }

    /// Writes `monitor`'s page `number`: to a temporary file, renamed into
    /// place, so a crash leaves it whole or absent. Owner-only (posts are
    /// personal data).
    pub fn write(&self, monitor: &str, number: u64, page: &Page) -> io::Result<()> {
        let dir = self.monitor_dir(monitor);
        crate::files::private_dir(&dir)?;
        let path = self.file(monitor, number);
        let tmp = dir.join(format!(".{number:020}.tmp"));
        let body = serde_json::to_vec(&SpooledRef {
            monitor,
            posts: &page.posts,
            authors: &page.authors,
            referenced: &page.referenced,
            meta: &page.meta,
        })
        .map_err(io::Error::other)?;
        let result = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(&body)?;
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// The pages of `monitor` to store before its next poll: those numbered
    /// after `committed` (the cursor's `spooled_through`), in order, up to
    /// the first gap. Every other file (committed, after a gap, unreadable,
    /// a temporary left by a crash) is removed.
    pub fn pages(&self, monitor: &str, committed: u64) -> io::Result<Spooled> {
        let mut numbered = Vec::new();
        let mut spooled = Spooled::default();
        let entries = match fs::read_dir(self.monitor_dir(monitor)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(spooled),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let number = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok());
            match number {
                Some(n) => numbered.push(n),
                None => {
                    spooled.discarded += 1;
                    remove(&entry.path());
                }
            }
        }
        numbered.sort_unstable();
        let mut expected = committed + 1;
        for n in numbered {
            spooled.last = spooled.last.max(n);
            let path = self.file(monitor, n);
            let page = (n == expected)
                .then(|| fs::read(&path).ok())
                .flatten()
                .and_then(|body| serde_json::from_slice::<SpooledPage>(&body).ok())
                .filter(|p| p.monitor == monitor);
            match page {
                Some(page) => {
                    spooled.pages.push((n, page));
                    expected += 1;
                }
                None => {
                    spooled.discarded += 1;
                    remove(&path);
                    // Nothing after a gap can be stored: it would move the
                    // cursor past the missing page's posts.
                    if n >= expected {
                        expected = u64::MAX;
                    }
                }
            }
        }
        Ok(spooled)
    }

    /// Deletes the files of `monitor`'s pages numbered `first..=last`
    /// (committed); a file already gone is fine.
    pub fn remove(&self, monitor: &str, first: u64, last: u64) {
        for n in first..=last {
            remove(&self.file(monitor, n));
        }
    }
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove a spool file");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(monitor: &str, id: u64) -> SpooledPage {
        SpooledPage {
            monitor: monitor.into(),
            posts: vec![Post {
                id,
                text: "Croydon <script>\u{202E}\u{200B}".into(),
                author_id: Some(7),
                created_at: None,
                conversation_id: Some(id),
                in_reply_to_user_id: None,
                replied_to: None,
                quoted: None,
                is_retweet: false,
                lang: Some("en".into()),
                reply_settings: None,
                mentions: vec![],
                raw: format!(r#"{{"id":"{id}","text":"Croydon <script>\u202e\u200b"}}"#),
            }],
            authors: vec![],
            referenced: vec![],
            meta: Meta {
                newest_id: Some(id.to_string()),
                oldest_id: Some(id.to_string()),
                result_count: 1,
                next_token: Some("t".into()),
                previous_token: None,
            },
        }
    }

    #[test]
    fn pages_after_the_committed_one_come_back_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        for n in 1..=4 {
            spool
                .write("search:a", n, &page("search:a", 100 - n).into_page())
                .unwrap();
        }
        let found = spool.pages("search:a", 2).unwrap();
        assert_eq!(
            found.pages.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [3, 4]
        );
        assert_eq!(found.pages[0].1, page("search:a", 97), "byte-exact");
        assert_eq!(
            (found.discarded, found.last),
            (2, 4),
            "committed ones removed"
        );
        assert!(spool.pages("search:b", 0).unwrap().pages.is_empty());
        spool.remove("search:a", 3, 4);
        let left = spool.pages("search:a", 2).unwrap();
        assert!(left.pages.is_empty() && left.discarded == 0);
    }

    #[test]
    fn pages_of_monitors_no_longer_configured_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool
            .write("search:a", 1, &page("search:a", 9).into_page())
            .unwrap();
        spool
            .write("search:old", 1, &page("search:old", 9).into_page())
            .unwrap();
        fs::create_dir(dir.path().join("spool/not-ours")).unwrap();
        assert_eq!(spool.retain(&["search:a", "search:b"]).unwrap(), 1);
        assert_eq!(spool.pages("search:a", 0).unwrap().pages.len(), 1);
        assert!(spool.pages("search:old", 0).unwrap().pages.is_empty());
        assert!(
            dir.path().join("spool/not-ours").exists(),
            "only the spool's own"
        );
    }

    #[test]
    fn a_gap_or_a_torn_file_stops_the_replay_there() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.write("m", 1, &page("m", 9).into_page()).unwrap();
        spool.write("m", 3, &page("m", 7).into_page()).unwrap();
        let found = spool.pages("m", 0).unwrap();
        assert_eq!(found.pages.len(), 1, "page 3 follows a gap");
        assert_eq!((found.discarded, found.last), (1, 3));

        let mut other = page("m", 5);
        other.monitor = "search:another query".into();
        spool.write("m", 5, &page("m", 5).into_page()).unwrap();
        fs::write(spool.file("m", 5), serde_json::to_vec(&other).unwrap()).unwrap();
        spool.write("m", 6, &page("m", 4).into_page()).unwrap();
        let found = spool.pages("m", 4).unwrap();
        assert!(
            found.pages.is_empty(),
            "another monitor's page and what follows"
        );
        assert_eq!(found.discarded, 3, "pages 1, 5 and 6");

        spool.write("m", 7, &page("m", 3).into_page()).unwrap();
        let path = spool.file("m", 7);
        let body = fs::read(&path).unwrap();
        fs::write(&path, &body[..body.len() / 2]).unwrap();
        fs::write(
            spool.monitor_dir("m").join(".00000000000000000008.tmp"),
            b"{",
        )
        .unwrap();
        let found = spool.pages("m", 6).unwrap();
        assert!(found.pages.is_empty());
        assert_eq!(found.discarded, 2, "the torn file and the temporary");
        assert_eq!(fs::read_dir(spool.monitor_dir("m")).unwrap().count(), 0);
    }
}
