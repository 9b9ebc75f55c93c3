//! The house rule: features depend one way. ARCHITECTURE.md lists the modules of `app/src` in
//! order, lowest first; a module may use (`crate::…`) only modules listed before it. This test
//! reads the sources and fails when a use points up or sideways (an import cycle coming back).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Items of the crate root every module may use.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("AppError", "error"),
    ("VERSION", ""),
    ("PRODUCT_NAME", ""),
    ("slug_enum", "slug"),
    ("slug_surreal", "slug"),
    ("of_interview", "db"),
    ("account_fence", "auth"),
    ("fenced", "auth"),
];

/// The fenced block after `marker` in ARCHITECTURE.md.
fn block_after(marker: &str) -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let start = doc
        .find(marker)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {marker}"));
    let block = &doc[start..];
    let open = block.find("```").unwrap() + 3;
    let close = open + block[open..].find("```").unwrap();
    block[open..close].to_string()
}

/// The modules of app/src, lowest first.
fn order() -> Vec<String> {
    block_after("<!-- house order -->")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_string)
        .collect()
}

/// Each table and the module that owns it.
fn owners() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in block_after("<!-- table owners -->").lines() {
        if let Some((module, tables)) = line.split_once(':') {
            for t in tables.split_whitespace() {
                out.insert(t.to_string(), module.trim().to_string());
            }
        }
    }
    out
}

/// Every source file of app/src: its top-level module, its path, and its code without tests.
fn app_sources() -> Vec<(String, String, Option<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let module = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap();
            (
                module.trim_end_matches(".rs").to_string(),
                rel.display().to_string(),
                code(f),
            )
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its test module (tests may reach anything they set up).
fn code(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if name == "tests.rs" || path.components().any(|c| c.as_os_str() == "tests") {
        return None;
    }
    let src = std::fs::read_to_string(path).ok()?;
    Some(match src.find("#[cfg(test)]\nmod tests") {
        Some(i) => src[..i].to_string(),
        None => src,
    })
}

/// The top-level modules a piece of code names through `crate::`.
fn uses(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c::{d, e}}`: the leading name of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => out.push(leading_name(&std::mem::take(&mut item))),
                    c if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            if !item.trim().is_empty() {
                out.push(leading_name(&item));
            }
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out
}

fn leading_name(item: &str) -> String {
    item.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn features_depend_one_way_in_the_documented_order() {
    let order = order();
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut wrong = Vec::new();
    for (module, rel, code) in app_sources() {
        if module == "lib" {
            continue;
        }
        let Some(&mine) = rank.get(module.as_str()) else {
            wrong.push(format!(
                "{module} (app/src/{rel}) is not in the order in ARCHITECTURE.md"
            ));
            continue;
        };
        let Some(code) = code else { continue };
        for used in uses(&code) {
            let target = ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == used)
                .map(|(_, m)| m.to_string())
                .unwrap_or(used.clone());
            if target.is_empty() || target == module {
                continue;
            }
            match rank.get(target.as_str()) {
                Some(&theirs) if theirs < mine => {}
                Some(_) => wrong.push(format!(
                    "app/src/{rel} ({module}) uses {target}, which is not below it"
                )),
                None => wrong.push(format!(
                    "app/src/{rel} uses crate::{used}, which is not in the order"
                )),
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "the house order is broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_a_use_that_points_up() {
    assert_eq!(
        uses("use crate::{db::Db, AppError};\nlet x = crate::voice::model::Part::Answer;"),
        ["db", "AppError", "voice"]
    );
    assert_eq!(
        uses("use crate::{mail::{Mailer, Message}, auth::x};"),
        ["mail", "auth"]
    );
}

/// The tables a piece of code queries: the name after FROM, UPDATE, CREATE, DELETE, INTO or
/// UPSERT (and an optional ONLY), bare or as `type::record('table', …)`. A record link in a
/// condition (`user = type::record('user', $uid)`) is not a query of that table.
fn tables_named(code: &str, known: &BTreeMap<String, String>) -> Vec<String> {
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !matches!(
            *w,
            "FROM" | "UPDATE" | "CREATE" | "DELETE" | "INTO" | "UPSERT"
        ) {
            continue;
        }
        let mut k = i + 1;
        if words.get(k) == Some(&"ONLY") {
            k += 1;
        }
        if words.get(k) == Some(&"type::record") {
            k += 1;
        }
        if let Some(name) = words.get(k) {
            let name = name.trim_matches('\'');
            let name = name.split(':').next().unwrap_or(name);
            if known.contains_key(name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[test]
fn every_table_is_queried_only_by_its_owner() {
    let owners = owners();
    let mut wrong = Vec::new();
    for (module, rel, code) in app_sources() {
        let Some(code) = code else { continue };
        for t in tables_named(&code, &owners) {
            if owners[&t] != module {
                wrong.push(format!(
                    "app/src/{rel} ({module}) queries {t}, which {} owns",
                    owners[&t]
                ));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "tables queried by a module that does not own them:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_table_check_sees_a_query() {
    let owners = owners();
    assert_eq!(
        tables_named(
            "SELECT VALUE email_verified FROM ONLY type::record('user', $uid)",
            &owners
        ),
        ["user"]
    );
    assert_eq!(
        tables_named("UPDATE interview_item SET status = $s", &owners),
        ["interview_item"]
    );
    assert!(tables_named("DELETE FROM nowhere", &owners).is_empty());
    assert!(
        tables_named(
            "SELECT * FROM resume WHERE user = type::record('user', $uid)",
            &owners
        ) == ["resume"]
    );
}
