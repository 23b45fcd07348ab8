//! Reply templates: text with placeholders, parsed once (when the config loads)
//! and rendered for an item when an officer previews or sends a reply.
//!
//! Placeholders are written in braces:
//!
//! | placeholder     | becomes                                              |
//! |-----------------|------------------------------------------------------|
//! | `{author}`      | the post author's handle, with `@`                   |
//! | `{author_name}` | the author's display name                            |
//! | `{place}`       | the first place name the post matched                |
//! | `{officer}`     | the replying officer's first name                    |
//! | `{council}`     | the council's handle, with `@`                       |
//! | `{reference}`   | the item's latest referral's reference, `PW-000123`   |
//! | `{team}`        | the team that referral went to                       |
//! | `{any_var}`     | a free variable from `[templates.vars]` in the config |
//!
//! `{{` and `}}` stand for literal braces. Parsing refuses what would otherwise
//! go out wrong in public: an unknown placeholder (a typo would be posted
//! verbatim), a brace that opens or closes nothing, and empty text. Values are
//! inserted literally: a display name that contains `{place}` stays `{place}`.
//!
//! Pure: no I/O. Whether a rendered reply fits X's limit is `ReplyText::parse`'s
//! job, since that depends on the values.

mod error;
#[cfg(test)]
mod tests;

pub use error::TemplateError;

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::is_invalid_char;
use crate::domain::post::Author;

/// The placeholders every template may use, whatever the config defines.
pub const BUILTIN_PLACEHOLDERS: [&str; 7] = [
    "author",
    "author_name",
    "place",
    "officer",
    "council",
    "reference",
    "team",
];

/// Use as `known_vars` when a template may use only the built-in placeholders.
pub const NO_VARS: &[&str] = &[];

/// What a placeholder stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Author,
    AuthorName,
    Place,
    Officer,
    Council,
    Reference,
    Team,
    Var(String),
}

impl Slot {
    fn builtin(name: &str) -> Option<Slot> {
        Some(match name {
            "author" => Slot::Author,
            "author_name" => Slot::AuthorName,
            "place" => Slot::Place,
            "officer" => Slot::Officer,
            "council" => Slot::Council,
            "reference" => Slot::Reference,
            "team" => Slot::Team,
            _ => return None,
        })
    }

    fn name(&self) -> &str {
        match self {
            Slot::Author => "author",
            Slot::AuthorName => "author_name",
            Slot::Place => "place",
            Slot::Officer => "officer",
            Slot::Council => "council",
            Slot::Reference => "reference",
            Slot::Team => "team",
            Slot::Var(name) => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Slot(Slot),
}

/// One parsed text (English or Welsh): the source as written and its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Body {
    source: String,
    segments: Vec<Segment>,
}

/// A named reply template, parsed and checked. Build it with [`Template::parse`],
/// then [`with_welsh`](Template::with_welsh), [`with_tags`](Template::with_tags)
/// and [`requiring_approval`](Template::requiring_approval).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    name: String,
    text: Body,
    tags: Vec<String>,
    welsh: Option<Body>,
    requires_approval: bool,
}

/// The values a template is rendered with. Empty strings render as nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderContext {
    /// The post author's username (a leading `@` is tolerated); `{author}` is
    /// `@username`.
    pub author: String,
    /// The author's display name.
    pub author_name: String,
    /// The first place name the post matched.
    pub place: String,
    /// The replying officer's first name.
    pub officer: String,
    /// The council's username (a leading `@` is tolerated); `{council}` is
    /// `@username`.
    pub council: String,
    /// The item's latest referral's reference (`PW-000123`), for a holding
    /// reply; empty when it has none.
    pub reference: String,
    /// The team that referral went to.
    pub team: String,
    /// Free variables (`[templates.vars]`), by name without braces.
    pub vars: BTreeMap<String, String>,
}

impl RenderContext {
    /// The context for answering a post: its author, the place names it
    /// matched (the first is used), the officer (their first name is used),
    /// the council's handle and the configured variables.
    pub fn for_post(
        author: Option<&Author>,
        places: &[String],
        officer: &str,
        council_handle: &str,
        vars: &BTreeMap<String, String>,
    ) -> Self {
        Self {
            author: author.map(|a| a.username.clone()).unwrap_or_default(),
            author_name: author.map(|a| a.name.clone()).unwrap_or_default(),
            place: places.first().cloned().unwrap_or_default(),
            officer: first_name(officer).to_string(),
            council: council_handle.to_string(),
            reference: String::new(),
            team: String::new(),
            vars: vars.clone(),
        }
    }

    /// The same, quoting a referral (its reference and team).
    pub fn with_referral(mut self, reference: &str, team: &str) -> Self {
        self.reference = reference.to_owned();
        self.team = team.to_owned();
        self
    }

    fn value(&self, slot: &Slot) -> Cow<'_, str> {
        match slot {
            Slot::Author => handle(&self.author),
            Slot::AuthorName => Cow::Borrowed(&self.author_name),
            Slot::Place => Cow::Borrowed(&self.place),
            Slot::Officer => Cow::Borrowed(&self.officer),
            Slot::Council => handle(&self.council),
            Slot::Reference => Cow::Borrowed(&self.reference),
            Slot::Team => Cow::Borrowed(&self.team),
            Slot::Var(name) => Cow::Borrowed(self.vars.get(name).map_or("", String::as_str)),
        }
    }
}

/// `@username` for a username given with or without `@`; empty stays empty.
fn handle(username: &str) -> Cow<'_, str> {
    let bare = username.trim().trim_start_matches('@');
    if bare.is_empty() {
        Cow::Borrowed("")
    } else {
        Cow::Owned(format!("@{bare}"))
    }
}

/// The first word of a name ("Priya Shah" → "Priya").
pub fn first_name(full: &str) -> &str {
    full.split_whitespace().next().unwrap_or("")
}

impl Template {
    /// Parses `text` as the template called `name`. `known_vars` are the
    /// free variables it may use besides the built-in placeholders.
    pub fn parse<S: AsRef<str>>(
        name: &str,
        text: &str,
        known_vars: &[S],
    ) -> Result<Template, TemplateError> {
        Ok(Template {
            name: name.to_string(),
            text: Body::parse(text, known_vars)?,
            tags: Vec::new(),
            welsh: None,
            requires_approval: false,
        })
    }

    /// Adds the Welsh counterpart, parsed with the same placeholders.
    pub fn with_welsh<S: AsRef<str>>(
        mut self,
        welsh: &str,
        known_vars: &[S],
    ) -> Result<Template, TemplateError> {
        self.welsh = Some(Body::parse(welsh, known_vars)?);
        Ok(self)
    }

    /// Sets the item tags this template suits.
    pub fn with_tags(mut self, tags: Vec<String>) -> Template {
        self.tags = tags;
        self
    }

    /// Sets whether a reply from this template needs an approver.
    pub fn requiring_approval(mut self, requires: bool) -> Template {
        self.requires_approval = requires;
        self
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The English text as written (placeholders and `{{` escapes included).
    pub fn text(&self) -> &str {
        &self.text.source
    }

    /// The Welsh text as written, if there is one.
    pub fn welsh(&self) -> Option<&str> {
        self.welsh.as_ref().map(|b| b.source.as_str())
    }

    /// The item tags this template suits.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Whether a reply from this template needs an approver before it is sent.
    pub fn requires_approval(&self) -> bool {
        self.requires_approval
    }

    /// Renders the English text, or the Welsh one when `welsh` is set and the
    /// template has one (else the English). Values are inserted as they are.
    pub fn render(&self, ctx: &RenderContext, welsh: bool) -> String {
        let mut out = String::new();
        for segment in &self.body(welsh).segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Slot(slot) => out.push_str(&ctx.value(slot)),
            }
        }
        out
    }

    /// The text with the configured variables filled in and every per-reply
    /// placeholder left empty: the part every reply from it shares.
    pub fn render_fixed(&self, vars: &BTreeMap<String, String>, welsh: bool) -> String {
        let ctx = RenderContext {
            vars: vars.clone(),
            ..RenderContext::default()
        };
        self.render(&ctx, welsh)
    }

    /// The placeholders used (text, then Welsh), each once, without braces.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let bodies = std::iter::once(&self.text).chain(self.welsh.as_ref());
        for slot in bodies.flat_map(Body::slots) {
            if !names.contains(&slot.name()) {
                names.push(slot.name());
            }
        }
        names
    }

    /// The placeholders of the text `render(ctx, welsh)` would use that have
    /// no value in `ctx` (so render as nothing), each once.
    pub fn missing_values(&self, ctx: &RenderContext, welsh: bool) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for slot in self.body(welsh).slots() {
            if ctx.value(slot).is_empty() && !names.contains(&slot.name()) {
                names.push(slot.name());
            }
        }
        names
    }

    fn body(&self, welsh: bool) -> &Body {
        match (&self.welsh, welsh) {
            (Some(w), true) => w,
            _ => &self.text,
        }
    }
}

impl Body {
    fn parse<S: AsRef<str>>(text: &str, known_vars: &[S]) -> Result<Body, TemplateError> {
        if text.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().zip(1..).peekable();
        while let Some((c, position)) = chars.next() {
            match c {
                '{' if chars.next_if(|(c, _)| *c == '{').is_some() => literal.push('{'),
                '}' if chars.next_if(|(c, _)| *c == '}').is_some() => literal.push('}'),
                '}' => return Err(TemplateError::UnopenedBrace { position }),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some(('}', _)) => break,
                            Some(('{', _)) | None => {
                                return Err(TemplateError::UnclosedBrace { position });
                            }
                            Some((c, _)) => name.push(c),
                        }
                    }
                    let slot = slot_for(&name, known_vars)
                        .ok_or_else(|| unknown(name, position, known_vars))?;
                    if !literal.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Slot(slot));
                }
                c if is_invalid_char(c) => {
                    return Err(TemplateError::InvalidChar { ch: c, position });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        Ok(Body {
            source: text.to_string(),
            segments,
        })
    }

    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Slot(slot) => Some(slot),
            Segment::Text(_) => None,
        })
    }
}

fn slot_for<S: AsRef<str>>(name: &str, known_vars: &[S]) -> Option<Slot> {
    Slot::builtin(name).or_else(|| {
        known_vars
            .iter()
            .any(|v| v.as_ref() == name)
            .then(|| Slot::Var(name.to_string()))
    })
}

fn unknown<S: AsRef<str>>(name: String, position: usize, known_vars: &[S]) -> TemplateError {
    let mut known: Vec<String> = BUILTIN_PLACEHOLDERS.iter().map(|s| s.to_string()).collect();
    known.extend(known_vars.iter().map(|v| v.as_ref().to_string()));
    TemplateError::UnknownPlaceholder {
        name,
        position,
        known,
    }
}
