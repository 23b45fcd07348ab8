//! `[templates]`: reply templates (`[[templates.reply]]`) and the free
//! variables they may use (`[templates.vars]`).
//!
//! Each template's text (and Welsh text) is parsed by
//! `domain::text::Template::parse`, the parser the desk renders with, so a
//! typo in a placeholder is a config error at load — naming the template, the
//! key (`templates.reply[2].text`) and its line — never a reply that goes out
//! with `{servce_url}` in it. A template whose fixed part (the text with the
//! variables filled in) is already over X's limit is refused too.
//!
//! Like `[[rules]]`, templates cannot be overridden from the environment.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::domain::text::{
    BUILTIN_PLACEHOLDERS, ReplyText, ReplyTextError, Template, TemplateError,
};

use super::env::TEMPLATES;
use super::error::ConfigError;
use super::locate::{Ctx, join_key};

type Result<T> = std::result::Result<T, ConfigError>;

/// The longest template name or variable name.
const MAX_NAME_CHARS: usize = 64;

/// `[templates]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTemplates {
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) reply: Vec<RawTemplate>,
}

/// One `[[templates.reply]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTemplate {
    pub(crate) name: String,
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) welsh: Option<String>,
    #[serde(default)]
    pub(crate) requires_approval: bool,
}

/// `[templates]`: the reply templates, in file order, and their variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Templates {
    /// `[[templates.reply]]`, in file order; names are unique ignoring case.
    pub list: Vec<Template>,
    /// `[templates.vars]`: free variables such as `service_url`, by name.
    pub vars: BTreeMap<String, String>,
}

impl Templates {
    /// The template called `name`, ignoring case.
    pub fn get(&self, name: &str) -> Option<&Template> {
        let name = name.trim();
        self.list
            .iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The templates' names, in file order.
    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(Template::name).collect()
    }

    /// The templates that suit an item with these tags (at least one tag in
    /// common, ignoring case), in file order.
    pub fn suited_to(&self, tags: &[String]) -> Vec<&Template> {
        self.list
            .iter()
            .filter(|t| {
                t.tags()
                    .iter()
                    .any(|a| tags.iter().any(|b| a.eq_ignore_ascii_case(b)))
            })
            .collect()
    }
}

/// Inside `[templates]`: `vars` is a table and `reply` an array of tables
/// (serde would read a template from an array by position).
pub(super) fn shape(table: &DeTable<'_>, ctx: &Ctx<'_>) -> Result<()> {
    for (key, value) in table.iter() {
        let path = format!("{TEMPLATES}.{}", key.get_ref());
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("vars", DeValue::Table(_)) => {}
            ("vars", _) => {
                let message = "must be a table: write [templates.vars] and one \
                               `name = \"value\"` line per variable"
                    .to_string();
                return Err(ctx.shape_error(&path, message));
            }
            ("reply", DeValue::Array(items)) => {
                if let Some(i) = items
                    .iter()
                    .position(|v| !matches!(v.get_ref(), DeValue::Table(_)))
                {
                    let message = "must be a table: write each template under its own \
                                   [[templates.reply]] header"
                        .to_string();
                    return Err(ctx.shape_error(&format!("{path}[{i}]"), message));
                }
            }
            ("reply", _) => {
                let message = "must be an array of tables: write each template under its \
                               own [[templates.reply]] header, not [templates.reply]"
                    .to_string();
                return Err(ctx.shape_error(&path, message));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Validate `[templates]`: variables first (templates may use them), then
/// each template in file order.
pub(super) fn templates(raw: RawTemplates, ctx: &Ctx<'_>) -> Result<Templates> {
    for (name, value) in &raw.vars {
        let key = join_key("templates.vars", name);
        check_var(name, value).map_err(|m| ctx.invalid(&key, m))?;
    }
    let known: Vec<&str> = raw.vars.keys().map(String::as_str).collect();
    let mut list: Vec<Template> = Vec::with_capacity(raw.reply.len());
    for (i, t) in raw.reply.into_iter().enumerate() {
        let template = template(
            ctx,
            &format!("templates.reply[{i}]"),
            t,
            &list,
            &known,
            &raw.vars,
        )?;
        list.push(template);
    }
    Ok(Templates {
        list,
        vars: raw.vars,
    })
}

fn template(
    ctx: &Ctx<'_>,
    at: &str,
    raw: RawTemplate,
    earlier: &[Template],
    known: &[&str],
    vars: &BTreeMap<String, String>,
) -> Result<Template> {
    let key = |sub: &str| format!("{at}.{sub}");
    let name = raw.name.trim();
    check_template_name(name).map_err(|m| ctx.invalid(&key("name"), m))?;
    if let Some(j) = earlier
        .iter()
        .position(|t| t.name().eq_ignore_ascii_case(name))
    {
        return Err(ctx.invalid(
            &key("name"),
            format!(
                "{name:?} is already the name of templates.reply[{j}]; template names must \
                 be unique (ignoring case)"
            ),
        ));
    }
    let refused = |sub: &str, what: &str, e: TemplateError| {
        let message = match e {
            TemplateError::Empty if sub == "welsh" => format!(
                "template {name:?}: the Welsh text is empty; leave out `welsh` when there is \
                 no Welsh counterpart"
            ),
            e => format!("template {name:?}: {what}{e}"),
        };
        ctx.invalid(&key(sub), message)
    };
    let mut template =
        Template::parse(name, &raw.text, known).map_err(|e| refused("text", "", e))?;
    if let Some(welsh) = &raw.welsh {
        template = template
            .with_welsh(welsh, known)
            .map_err(|e| refused("welsh", "in the Welsh text, ", e))?;
    }
    check_fixed_part(&template, vars, false).map_err(|m| ctx.invalid(&key("text"), m))?;
    if template.welsh().is_some() {
        check_fixed_part(&template, vars, true).map_err(|m| ctx.invalid(&key("welsh"), m))?;
    }
    let mut tags: Vec<String> = Vec::with_capacity(raw.tags.len());
    for (k, tag) in raw.tags.iter().enumerate() {
        let tag = tag.trim();
        let tag_key = key(&format!("tags[{k}]"));
        if tag.is_empty() {
            return Err(ctx.invalid(&tag_key, "must not be empty"));
        }
        if let Some(j) = tags.iter().position(|t| t.eq_ignore_ascii_case(tag)) {
            let message = format!(
                "{tag:?} repeats {} (ignoring case)",
                key(&format!("tags[{j}]"))
            );
            return Err(ctx.invalid(&tag_key, message));
        }
        tags.push(tag.to_string());
    }
    Ok(template
        .with_tags(tags)
        .requiring_approval(raw.requires_approval))
}

/// The text with its variables filled in must leave room for the rest: a
/// template already over X's limit could never be sent.
fn check_fixed_part(
    template: &Template,
    vars: &BTreeMap<String, String>,
    welsh: bool,
) -> std::result::Result<(), String> {
    let fixed = template.render_fixed(vars, welsh);
    let which = if welsh { "Welsh text" } else { "text" };
    match ReplyText::parse(fixed) {
        Ok(_) | Err(ReplyTextError::Empty | ReplyTextError::Blank { .. }) => Ok(()),
        Err(ReplyTextError::TooLong { weighted, max }) => Err(format!(
            "template {:?}: the {which} is {weighted} of {max} weighted characters before \
             its placeholders are filled (with [templates.vars] in), so no reply from it \
             could be sent; shorten it",
            template.name()
        )),
        // Template::parse and check_var refuse these characters already.
        Err(ReplyTextError::InvalidChar { .. }) => Ok(()),
    }
}

/// A template name: what officers type after `--template`.
fn check_template_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty: officers choose a template by its name".into());
    }
    let ok = name.chars().count() <= MAX_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a template name: use 1 to {MAX_NAME_CHARS} letters, digits, \
             `-` or `_`, starting with a letter or digit (e.g. \"street-cleansing\"), so \
             it can be typed after --template"
        ))
    }
}

/// A variable: a simple lower-case name (it is written `{name}` in
/// templates) with a non-empty value.
fn check_var(name: &str, value: &str) -> std::result::Result<(), String> {
    let simple = name.len() <= MAX_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !simple {
        return Err(format!(
            "{name:?} is not a variable name: use lower-case letters, digits and `_`, \
             starting with a letter (e.g. service_url), at most {MAX_NAME_CHARS} characters"
        ));
    }
    if BUILTIN_PLACEHOLDERS.contains(&name) {
        return Err(format!(
            "{{{name}}} is a built-in placeholder (filled in for each reply); choose \
             another name for the variable"
        ));
    }
    match ReplyText::parse(value) {
        Err(ReplyTextError::Empty | ReplyTextError::Blank { .. }) => Err(format!(
            "must not be empty: {{{name}}} would vanish from every reply"
        )),
        Err(ReplyTextError::InvalidChar { ch, position, .. }) => Err(format!(
            "contains U+{:04X} at character {position}, which X refuses",
            u32::from(ch)
        )),
        Ok(_) | Err(ReplyTextError::TooLong { .. }) => Ok(()),
    }
}
