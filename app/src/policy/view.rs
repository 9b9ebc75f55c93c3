use leptos::prelude::*;

use super::{Block, Document, Inline};

fn inlines(xs: Vec<Inline>) -> impl IntoView {
    xs.into_iter()
        .map(|x| match x {
            Inline::Text(t) => t.into_any(),
            Inline::Strong(t) => view! { <strong>{t}</strong> }.into_any(),
            Inline::Link(t, h) => view! { <a href=h>{t}</a> }.into_any(),
        })
        .collect_view()
}

/// A policy document: its sections with a contents list, the version and the date it was
/// last updated on this installation.
#[component]
fn DocumentView(doc: Document) -> impl IntoView {
    let contents = doc
        .sections
        .iter()
        .map(|s| {
            let href = format!("#{}", s.id);
            view! { <li><a href=href>{s.title.clone()}</a></li> }
        })
        .collect_view();
    let updated = doc
        .updated_at
        .map(crate::ui::time::date)
        .unwrap_or_else(|| "not yet published".into());
    let version = doc.version.clone();
    view! {
        <p class="policy-meta">"Last updated " {updated} " · version " <code>{version}</code></p>
        <nav class="policy-contents" aria-label="Contents">
            <ol>{contents}</ol>
        </nav>
        {doc.sections.into_iter().map(|s| view! {
            <section aria-labelledby=s.id.clone()>
                <h2 id=s.id.clone()>{s.title}</h2>
                {s.blocks.into_iter().map(|b| match b {
                    Block::Para(x) => view! { <p>{inlines(x)}</p> }.into_any(),
                    Block::Heading(h) => view! { <h3>{h}</h3> }.into_any(),
                    Block::List(items) => view! {
                        <ul>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ul>
                    }.into_any(),
                    Block::Table(head, rows) => view! {
                        <div class="table-scroll">
                            <table class="policy-table">
                                <thead><tr>{head.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                                <tbody>{rows.into_iter().map(|r| view! {
                                    <tr>{r.into_iter().enumerate().map(|(i, c)| if i == 0 {
                                        view! { <th scope="row">{inlines(c)}</th> }.into_any()
                                    } else {
                                        view! { <td>{inlines(c)}</td> }.into_any()
                                    }).collect_view()}</tr>
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                }).collect_view()}
            </section>
        }).collect_view()}
    }
}

/// `doc` as the HTML of its view: what the policy pages show as it is (nothing in it
/// runs in the browser, so hydration leaves it alone).
pub(super) fn document_html(doc: &Document) -> String {
    let doc = doc.clone();
    Owner::new().with(|| view! { <DocumentView doc/> }.to_html())
}
