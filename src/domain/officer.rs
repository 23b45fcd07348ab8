//! The desk's people: an officer's [`Role`], what each role may do
//! ([`Permission`]), and the rules for usernames and passwords.
//!
//! Roles are ordered: each can do everything the one before it can.
//!
//! | role | may |
//! |---|---|
//! | viewer | read the inbox, items, the status page |
//! | officer | + triage (claim, note, dismiss, refer, reopen) and reply |
//! | approver | + approve or reject replies awaiting approval; read the reports |
//! | admin | + manage officers, override the one-reply-per-post rule |
//!
//! The Reports page (issue 17) is for the team's manager. It is a permission
//! of approvers and above rather than a role of its own: whoever approves the
//! team's replies is the one who answers for its figures, and a fifth role
//! would need the `officers.role` CHECK rebuilt in a migration for no power
//! an approver should not have.
//!
//! Pure: std, serde, thiserror; no I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an officer may do on the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Officer,
    Approver,
    Admin,
}

/// An action that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the inbox, items, history and status.
    Read,
    /// Change items: claim, release, note, dismiss, refer, reopen, assign.
    Triage,
    /// Write and send replies (or mark manual replies as sent).
    Reply,
    /// Approve or reject replies awaiting approval.
    Approve,
    /// Manage officers; record a second reply to the same post.
    Administer,
    /// See the Reports page and download its tables.
    Report,
}

impl Role {
    /// Every role, least to most powerful.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Officer, Role::Approver, Role::Admin];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Officer => "officer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    /// Reads a role name, ignoring case.
    pub fn parse(s: &str) -> Option<Role> {
        let wanted = s.trim().to_lowercase();
        Role::ALL.into_iter().find(|r| r.as_str() == wanted)
    }

    /// The least role that has `permission`.
    pub fn least_for(permission: Permission) -> Role {
        match permission {
            Permission::Read => Role::Viewer,
            Permission::Triage | Permission::Reply => Role::Officer,
            Permission::Approve | Permission::Report => Role::Approver,
            Permission::Administer => Role::Admin,
        }
    }

    /// Whether this role has `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self >= Role::least_for(permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Permission::Read => "read the desk",
            Permission::Triage => "triage items",
            Permission::Reply => "reply",
            Permission::Approve => "approve replies",
            Permission::Administer => "administer the desk",
            Permission::Report => "read the reports",
        })
    }
}

/// Why a username or password is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("a username is 2 to 32 characters: lowercase letters, digits, '.', '-' or '_'")]
    Username,
    #[error("a password is at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("a password is at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("a display name is 1 to 64 characters with no control characters")]
    DisplayName,
}

/// NCSC guidance: length over composition rules.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounds the work a login costs (argon2 hashes the whole input).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Checks a username: what audit entries, owners and logins are keyed by.
pub fn check_username(name: &str) -> Result<(), CredentialError> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if (2..=32).contains(&name.len()) && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(CredentialError::Username)
    }
}

/// Checks a new password's length (in characters, so any script counts).
pub fn check_password(password: &str) -> Result<(), CredentialError> {
    if password.len() > MAX_PASSWORD_BYTES {
        Err(CredentialError::PasswordTooLong)
    } else if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(CredentialError::PasswordTooShort)
    } else {
        Ok(())
    }
}

/// Checks a display name (shown on the desk; its first word fills a reply's `{officer}`).
pub fn check_display_name(name: &str) -> Result<(), CredentialError> {
    let n = name.trim().chars().count();
    if (1..=64).contains(&n) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(CredentialError::DisplayName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_cumulative() {
        assert!(Role::Viewer.can(Permission::Read));
        assert!(!Role::Viewer.can(Permission::Triage));
        assert!(!Role::Viewer.can(Permission::Reply));
        assert!(Role::Officer.can(Permission::Reply));
        assert!(!Role::Officer.can(Permission::Approve));
        assert!(Role::Approver.can(Permission::Approve));
        assert!(!Role::Approver.can(Permission::Administer));
        assert!(Role::Admin.can(Permission::Administer));
        assert!(!Role::Officer.can(Permission::Report));
        assert!(Role::Approver.can(Permission::Report));
        assert!(Role::Admin.can(Permission::Report));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::parse(&role.as_str().to_uppercase()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn usernames() {
        for ok in ["sam", "jo.bloggs", "a-b_c9"] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a",
            "Sam",
            "sam smith",
            "sam<script>",
            &"x".repeat(33),
            "şam",
        ] {
            assert_eq!(check_username(bad), Err(CredentialError::Username), "{bad}");
        }
    }

    #[test]
    fn passwords_count_characters() {
        assert_eq!(
            check_password("short"),
            Err(CredentialError::PasswordTooShort)
        );
        assert_eq!(check_password("ten chars!"), Ok(()));
        assert_eq!(check_password("ддддддддддд"), Ok(()));
        assert_eq!(
            check_password(&"x".repeat(2000)),
            Err(CredentialError::PasswordTooLong)
        );
    }

    #[test]
    fn display_names() {
        assert_eq!(check_display_name("Sam Patel"), Ok(()));
        assert_eq!(check_display_name("  "), Err(CredentialError::DisplayName));
        assert_eq!(
            check_display_name("a\u{7}b"),
            Err(CredentialError::DisplayName)
        );
    }
}
