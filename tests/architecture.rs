//! The arrows stay down: every `crate::…` a module of `src/` names must be
//! allowed by the module table of `docs/architecture.md` (or listed there as
//! a known exception, which must still be needed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The backticked names in a table cell.
fn names(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The rows of the markdown table under `heading`: its cells, trimmed.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} in the doc"));
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // `tests` folders hold unit tests (see `crate_paths`).
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::a::b` path in `source` outside comments and unit tests, as
/// (`a`, `b`); `use crate::{a::b, c}` groups included. Unit tests (from a
/// `#[cfg(test)]` at the start of a line to the end of the file) may cross
/// layers to check one against another, as the simulator's errors are
/// checked against the client's.
fn crate_paths(source: &str) -> Vec<(String, String)> {
    let source = source.split("\n#[cfg(test)]").next().unwrap_or_default();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                for item in group.split([',', '}']) {
                    let item = item.trim();
                    let top = ident(item);
                    let sub = item
                        .strip_prefix(&top)
                        .and_then(|s| s.strip_prefix("::"))
                        .map(ident)
                        .unwrap_or_default();
                    if !top.is_empty() {
                        found.push((top, sub));
                    }
                }
            } else {
                let top = ident(after);
                let sub = after[top.len()..]
                    .strip_prefix("::")
                    .map(ident)
                    .unwrap_or_default();
                found.push((top, sub));
            }
            rest = after;
        }
    }
    found
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let allowed: BTreeMap<String, Vec<String>> = table(&doc, "## Modules")
        .into_iter()
        .map(|row| (names(&row[0])[0].clone(), names(&row[2])))
        .collect();
    let exceptions: BTreeSet<(String, String)> = table(&doc, "## Known exceptions")
        .into_iter()
        .flat_map(|row| {
            let module = names(&row[0])[0].clone();
            names(&row[1]).into_iter().map(move |i| (module.clone(), i))
        })
        .collect();

    // Every module of the crate has a row, and every row a module.
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !["lib", "main"].contains(&name.as_str()) {
            modules.insert(name);
        }
    }
    let rows: BTreeSet<String> = allowed.keys().cloned().collect();
    assert_eq!(modules, rows, "docs/architecture.md has one row per module");

    let mut wrong = Vec::new();
    let mut used_exceptions = BTreeSet::new();
    for module in &modules {
        let mut files = Vec::new();
        let dir = root.join("src").join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let file = root.join("src").join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        let may = &allowed[module];
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (top, sub) in crate_paths(&source) {
                if &top == module || !modules.contains(&top) {
                    continue;
                }
                let ok = may.contains(&top) || may.contains(&format!("{top}::{sub}"));
                if ok {
                    continue;
                }
                if exceptions.contains(&(module.clone(), top.clone())) {
                    used_exceptions.insert((module.clone(), top.clone()));
                    continue;
                }
                wrong.push(format!(
                    "{}: `{module}` imports `crate::{top}::{sub}`",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "imports against docs/architecture.md:\n{}",
        wrong.join("\n")
    );
    let stale: Vec<_> = exceptions.difference(&used_exceptions).collect();
    assert!(
        stale.is_empty(),
        "known exceptions no longer needed (remove them from docs/architecture.md): {stale:?}"
    );
}

#[test]
fn paths_are_found_in_every_form() {
    let found = crate_paths(
        "use crate::store::Store;\nuse crate::{x::wire, domain};\n// crate::app in a comment\n\
         let b = crate::config::Budget::default(); // crate::cli\n\
         #[cfg(test)]\nmod tests {\n    use crate::web::Desk;\n}\n",
    );
    let found: Vec<String> = found.iter().map(|(a, b)| format!("{a}::{b}")).collect();
    assert_eq!(
        found,
        ["store::Store", "x::wire", "domain::", "config::Budget"]
    );
}
