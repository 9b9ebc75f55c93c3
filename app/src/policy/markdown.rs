//! The Markdown the terms are written in (built in and the operator's `--terms-file`): `## `
//! headings start sections, `### ` sub-headings, paragraphs, `- ` lists, `**bold**` and
//! `[text](link)`. Nothing else is interpreted, and raw HTML stays text, so an operator's file
//! cannot put markup or scripts on the page. Links go to in-app paths, https:// or mailto:
//! only; any other link is shown as its text.

use super::{Block, Inline, Section};

/// Reads `md` into sections; text before the first `## ` heading goes into a section titled
/// `untitled`.
pub fn sections(md: &str, untitled: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    let mut title = untitled.to_string();
    let flush = |title: &str, lines: &mut Vec<&str>, out: &mut Vec<Section>| {
        let blocks = blocks(&lines.join("\n"));
        lines.clear();
        if !blocks.is_empty() || title != untitled {
            out.push(Section {
                id: slug(title),
                title: title.to_string(),
                blocks,
            });
        }
    };
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            flush(&title, &mut lines, &mut out);
            title = h.trim().to_string();
        } else {
            lines.push(line);
        }
    }
    flush(&title, &mut lines, &mut out);
    out
}

/// The blocks of a Markdown text without `## ` sections.
pub fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<Vec<Inline>> = Vec::new();
    let end_para = |para: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block::Para(inline(&para.join(" "))));
            para.clear();
        }
    };
    let end_list = |list: &mut Vec<Vec<Inline>>, out: &mut Vec<Block>| {
        if !list.is_empty() {
            out.push(Block::List(std::mem::take(list)));
        }
    };
    for raw in md.lines() {
        let line = raw.trim();
        if line.is_empty() {
            end_para(&mut para, &mut out);
            end_list(&mut list, &mut out);
        } else if let Some(h) = line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("## "))
            .or_else(|| line.strip_prefix("# "))
        {
            end_para(&mut para, &mut out);
            end_list(&mut list, &mut out);
            out.push(Block::Heading(h.trim().to_string()));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            end_para(&mut para, &mut out);
            list.push(inline(item.trim()));
        } else if !list.is_empty() && raw.starts_with("  ") {
            // A continuation line of the last item.
            if let Some(last) = list.last_mut() {
                last.push(Inline::text(" "));
                last.extend(inline(line));
            }
        } else {
            end_list(&mut list, &mut out);
            para.push(line);
        }
    }
    end_para(&mut para, &mut out);
    end_list(&mut list, &mut out);
    out
}

/// `**bold**` and `[text](link)` within a line; everything else is text.
pub fn inline(s: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**") {
                push_text(&mut out, &mut text);
                out.push(Inline::Strong(after[..end].to_string()));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some(close) = after.find("](") {
                if let Some(end) = after[close + 2..].find(')') {
                    let label = &after[..close];
                    let href = &after[close + 2..close + 2 + end];
                    push_text(&mut out, &mut text);
                    if safe_link(href) {
                        out.push(Inline::Link(label.to_string(), href.to_string()));
                    } else {
                        text.push_str(label);
                    }
                    rest = &after[close + 3 + end..];
                    continue;
                }
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        text.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    push_text(&mut out, &mut text);
    out
}

fn push_text(out: &mut Vec<Inline>, text: &mut String) {
    if !text.is_empty() {
        out.push(Inline::Text(std::mem::take(text)));
    }
}

/// In-app paths, https:// and mailto: — never javascript:, data: or protocol-relative.
pub fn safe_link(href: &str) -> bool {
    if href.contains('\\') || href.chars().any(char::is_control) {
        return false;
    }
    (href.starts_with('/') && !href.starts_with("//"))
        || href.starts_with('#')
        || href.starts_with("https://")
        || href.starts_with("mailto:")
}

/// A fragment id from a title: lower-case letters and digits joined by '-'.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for w in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_lists_bold_and_links() {
        let md = "Intro line.\n\n## Who may use it\nYou must be **16** or older.\nSee [the notice](/privacy).\n\n- one\n- two\n  more\n\n## Contact\nWrite [to us](mailto:a@b.org).";
        let s = sections(md, "About");
        assert_eq!(
            s.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["about", "who-may-use-it", "contact"]
        );
        assert_eq!(
            s[1].blocks[0],
            Block::Para(vec![
                Inline::text("You must be "),
                Inline::Strong("16".into()),
                Inline::text(" or older. See "),
                Inline::Link("the notice".into(), "/privacy".into()),
                Inline::text("."),
            ])
        );
        assert_eq!(
            s[1].blocks[1],
            Block::List(vec![
                vec![Inline::text("one")],
                vec![Inline::text("two"), Inline::text(" "), Inline::text("more")]
            ])
        );
    }

    #[test]
    fn markup_and_unsafe_links_stay_text() {
        let b = inline("<script>alert(1)</script> [x](javascript:void) [y](//evil.example)");
        let text: String = b
            .iter()
            .map(|i| match i {
                Inline::Text(t) => t.as_str(),
                other => panic!("{other:?} is not text"),
            })
            .collect();
        assert_eq!(text, "<script>alert(1)</script> x y");
    }
}
