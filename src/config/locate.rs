//! Where a key lives: an index of dotted key paths (`monitor.places[3]`) and
//! their byte spans, built from toml's spanned document tree (`DeTable`)
//! after environment overrides are applied.
//!
//! Looking up by span turns a serde error (which carries only a span) into a
//! key path; looking up by path gives semantic validation errors a line.
//! Spans at or past `env_base` are synthetic: each environment override owns
//! one such offset, so an error there is reported against the variable.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::env::{Kind, Override};
use super::error::{ConfigError, rewrite_serde_message};

/// One key or array element of the document.
#[derive(Debug)]
struct Node {
    path: String,
    key_span: Range<usize>,
    value_span: Range<usize>,
    is_table: bool,
}

/// Key paths and spans of a parsed (and overridden) document.
#[derive(Debug)]
pub(crate) struct SpanIndex {
    nodes: Vec<Node>,
}

impl SpanIndex {
    /// Index every key, table and array element of `root`.
    pub(crate) fn build(root: &DeTable<'_>) -> Self {
        let mut nodes = Vec::new();
        walk_table(root, "", &mut nodes);
        Self { nodes }
    }

    /// The span of the value at `path`, if the document has it.
    pub(crate) fn span_of(&self, path: &str) -> Option<Range<usize>> {
        self.nodes
            .iter()
            .find(|n| n.path == path)
            .map(|n| n.value_span.clone())
    }

    /// Whether the document (file or overrides) sets `path`.
    pub(crate) fn contains(&self, path: &str) -> bool {
        self.nodes.iter().any(|n| n.path == path)
    }

    /// The span of `path`, or of the nearest enclosing table that exists
    /// (so a defaulted key is reported at its table's header).
    pub(crate) fn span_or_parent(&self, path: &str) -> Option<Range<usize>> {
        let mut p = path;
        loop {
            if let Some(span) = self.span_of(p) {
                return Some(span);
            }
            p = parent_path(p)?;
        }
    }

    /// The path whose key or value has exactly this span (what toml's
    /// deserializer reports), preferring the shallowest match. An array of
    /// tables and its first table share the `[[rules]]` header's span; the
    /// table is meant then (serde reports on the table, not the array).
    pub(crate) fn path_at(&self, span: &Range<usize>) -> Option<&str> {
        let hit = |n: &&Node| n.key_span == *span || n.value_span == *span;
        let depth = |n: &&Node| n.path.matches('.').count();
        let shallowest = self.nodes.iter().filter(hit).map(|n| depth(&n)).min()?;
        self.nodes
            .iter()
            .filter(hit)
            .filter(|n| depth(n) == shallowest)
            .max_by_key(|n| n.path.len())
            .map(|n| n.path.as_str())
    }

    /// Where the key of `path` starts.
    fn key_start(&self, path: &str) -> Option<usize> {
        self.nodes
            .iter()
            .find(|n| n.path == path)
            .map(|n| n.key_span.start)
    }

    /// The table whose header (or first dotted key) is the last one before
    /// `offset`. Inline tables (`when = { ... }`) are values, not headers:
    /// a key after one belongs to the table around it.
    fn table_before(&self, source: &str, offset: usize) -> Option<&str> {
        let inline = |n: &Node| {
            source
                .get(n.value_span.start..)
                .is_some_and(|s| s.starts_with('{'))
        };
        self.nodes
            .iter()
            .filter(|n| n.is_table && n.value_span.start <= offset && !inline(n))
            .max_by_key(|n| (n.value_span.start, n.path.len()))
            .map(|n| n.path.as_str())
    }

    /// The last key that starts at or before `offset`: a best guess at
    /// which key a TOML syntax error belongs to.
    pub(crate) fn path_before(&self, offset: usize) -> Option<&str> {
        self.nodes
            .iter()
            .filter(|n| n.key_span.start <= offset && n.key_span != (0..0))
            .max_by_key(|n| (n.key_span.start, n.path.len()))
            .map(|n| n.path.as_str())
    }
}

fn walk_table(table: &DeTable<'_>, prefix: &str, nodes: &mut Vec<Node>) {
    for (key, value) in table.iter() {
        let path = join_key(prefix, key.get_ref());
        push_node(path, key.span(), value, nodes);
    }
}

fn push_node(
    path: String,
    key_span: Range<usize>,
    value: &Spanned<DeValue<'_>>,
    nodes: &mut Vec<Node>,
) {
    nodes.push(Node {
        path: path.clone(),
        key_span: key_span.clone(),
        value_span: value.span(),
        is_table: matches!(value.get_ref(), DeValue::Table(_)),
    });
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, &path, nodes),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                push_node(format!("{path}[{i}]"), item.span(), item, nodes);
            }
        }
        _ => {}
    }
}

/// `prefix.key`, quoting `key` the TOML way when it is not a bare key.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// `monitor.places[3]` → `monitor.places`; `monitor.places` → `monitor`.
pub(crate) fn parent_path(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

/// The arrays of tables of the schema, as their headers are written.
const ARRAYS_OF_TABLES: [&str; 3] = ["rules", "templates.reply", "teams"];

/// `rules[2]` of `rules[2].when.flags[0]` (or `templates.reply[1]` of
/// `templates.reply[1].text`): the table of an array of tables a key is in,
/// with the array's name.
fn rule_path(key: &str) -> Option<(&'static str, &str)> {
    ARRAYS_OF_TABLES.iter().find_map(|array| {
        let rest = key.strip_prefix(array)?.strip_prefix('[')?;
        let close = rest.find(']')?;
        let digits = &rest[..close];
        (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
            .then(|| (*array, &key[..array.len() + 1 + close + 1]))
    })
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Everything needed to turn "this key is wrong" into a `ConfigError` that
/// names the file and line, or the environment variable.
pub(crate) struct Ctx<'a> {
    /// The config file, as given by the caller.
    pub(crate) path: &'a Path,
    /// Its text (for line and column numbers).
    pub(crate) source: &'a str,
    /// Key paths and spans of the document after overrides.
    pub(crate) index: SpanIndex,
    /// The overrides that were applied, in span order.
    pub(crate) overrides: &'a [Override],
    /// The first synthetic span offset (past the end of `source`).
    pub(crate) env_base: usize,
}

impl Ctx<'_> {
    /// A semantic error at `key` (or at its table when the key was defaulted).
    pub(crate) fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let message = message.into();
        let span = self.index.span_or_parent(key);
        if let Some(ov) = span.as_ref().and_then(|s| self.override_at(s)) {
            return ConfigError::Env {
                var: ov.var.clone(),
                key: key.to_string(),
                message,
            };
        }
        let line = span.map(|s| line_col(self.source, s.start).0);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message: self.with_rule_line(key, line, message),
            key: key.to_string(),
        }
    }

    /// For a key inside the `[[rules]]` (or `[[templates.reply]]`) table
    /// number `i` (`rules[i].…`),
    /// `message` plus where that table starts, unless `line` is already
    /// its header's line.
    fn with_rule_line(&self, key: &str, line: Option<usize>, message: String) -> String {
        let Some((array, rule)) = rule_path(key) else {
            return message;
        };
        let Some(span) = self.index.span_of(rule) else {
            return message;
        };
        if span.start >= self.env_base {
            return message;
        }
        let header = line_col(self.source, span.start).0;
        if line == Some(header) {
            return message;
        }
        format!("{message} (in the [[{array}]] table at line {header})")
    }

    /// A deserialization error (unknown key, wrong type, missing key).
    pub(crate) fn serde_error(&self, err: &toml::de::Error) -> ConfigError {
        let (mut message, missing) = rewrite_serde_message(err.message());
        let span = err.span().unwrap_or(0..0);
        let at = self.index.path_at(&span).map(str::to_string);
        let key = match (&missing, &at) {
            (Some(name), Some(table)) => {
                message = match rule_path(table) {
                    Some((array, _)) => {
                        format!("missing required key `{name}` in this [[{array}]] table")
                    }
                    None => format!("missing required key `{name}` in [{table}]"),
                };
                Some(join_key(table, name))
            }
            (Some(name), None) => {
                // A whole required table is missing: there is no line to name.
                return ConfigError::Invalid {
                    path: self.path.to_path_buf(),
                    line: None,
                    key: name.clone(),
                    message: format!("missing required table [{name}]"),
                };
            }
            (None, at) => at.clone(),
        };
        if let Some(ov) = self.override_at(&span) {
            if ov.kind == Kind::List && message.starts_with("invalid type") {
                message.push_str(&format!(
                    "; write a TOML array, e.g. {}='[\"Croydon\", \"Purley\"]'",
                    ov.var
                ));
            }
            // Everything inside one override shares its span, so the
            // index cannot tell a section it created from the key: name
            // the overridden key, unless a key is missing from its table.
            let key = match missing {
                Some(_) => key.unwrap_or_else(|| ov.path()),
                None => ov.path(),
            };
            return ConfigError::Env {
                var: ov.var.clone(),
                key,
                message,
            };
        }
        let (line, column) = line_col(self.source, span.start);
        let message = match &key {
            Some(key) => self.with_rule_line(key, Some(line), message),
            None => message,
        };
        ConfigError::Parse {
            path: self.path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    }

    /// A value of the wrong shape at `key`, reported like a serde error.
    pub(crate) fn shape_error(&self, key: &str, message: String) -> ConfigError {
        let span = self.index.span_of(key).unwrap_or(0..0);
        if let Some(ov) = self.override_at(&span) {
            return ConfigError::Env {
                var: ov.var.clone(),
                key: key.to_string(),
                message,
            };
        }
        let (line, column) = line_col(self.source, span.start);
        ConfigError::Parse {
            path: self.path.to_path_buf(),
            line,
            column,
            key: Some(key.to_string()),
            message,
        }
    }

    fn override_at(&self, span: &Range<usize>) -> Option<&Override> {
        let index = span.start.checked_sub(self.env_base)?;
        self.overrides.get(index)
    }
}

/// A TOML syntax error. `partial` is what toml could recover of the
/// document; it tells which key the error is at, when that can be told.
pub(crate) fn syntax_error(
    path: &Path,
    source: &str,
    partial: &DeTable<'_>,
    err: &toml::de::Error,
) -> ConfigError {
    let span = err.span().unwrap_or(0..0);
    let (line, column) = line_col(source, span.start);
    let index = SpanIndex::build(partial);
    let key = if err.message().starts_with("duplicate key") {
        duplicate_key_path(source, &index, &span)
    } else {
        // A key on the error's own line (e.g. an unterminated string value).
        index
            .path_before(span.start)
            .filter(|p| index.key_start(p).map(|s| line_col(source, s).0) == Some(line))
            .map(str::to_string)
    };
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message: err.message().to_string(),
    }
}

/// The full path of a repeated key: the span holds the key as written; a
/// plain `key = ...` line belongs to the last table header before it.
fn duplicate_key_path(source: &str, index: &SpanIndex, span: &Range<usize>) -> Option<String> {
    let written = source.get(span.clone())?.trim();
    let line_start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
    if written.is_empty() || source[line_start..].trim_start().starts_with('[') {
        return (!written.is_empty()).then(|| written.to_string());
    }
    Some(match index.table_before(source, span.start) {
        Some(table) => format!("{table}.{written}"),
        None => written.to_string(),
    })
}
