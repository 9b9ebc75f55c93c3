//! /account/data (download, recordings, where to correct) and /account/delete (what deleting
//! the account removes, a code by e-mail, then the deletion).

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::*;
use crate::ui::ActionStatus;

#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let send = ServerAction::<StartAccountDeletion>::new();
    let delete = ServerAction::<DeleteMyAccount>::new();
    view! {
        <Title text="Delete my account"/>
        <article class="prose" aria-labelledby="delete-title">
            <h1 id="delete-title">"Delete my account"</h1>
            <p class="lede">"Deleting your account removes, at once and for good:"</p>
            <ul>
                <li>"your account: name, e-mail address, password, job title and sign-in links"</li>
                <li>"your profile and the text of your resume"</li>
                <li>"every interview with its questions, answers, transcripts, scores, feedback and recordings"</li>
                <li>"your sessions on every device, and e-mails and messages you sent to this site"</li>
            </ul>
            <p>"The security log keeps that an account was deleted, without your name or address. A last e-mail confirms the deletion."</p>
            <div class="card">
                <h2>"1. Get a code"</h2>
                <ActionForm action=send attr:class="form">
                    <button type="submit" class="button secondary">"E-mail me a code"</button>
                </ActionForm>
                <ActionStatus value=send.value() ok="We sent a 6-digit code to your address. It works for 10 minutes."/>
            </div>
            <div class="card">
                <h2>"2. Delete"</h2>
                <ActionForm action=delete attr:class="form">
                    <label for="delete-code">"6-digit code"</label>
                    <input id="delete-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="12"/>
                    <label for="delete-password">"Current password (if your account has one)"</label>
                    <input id="delete-password" name="password" type="password" autocomplete="current-password"/>
                    <button type="submit" class="button danger">"Delete my account"</button>
                </ActionForm>
                <ActionStatus value=delete.value() ok="Your account was deleted."/>
            </div>
        </article>
    }
}

/// /account/data: download everything, decide about recordings, find where to correct or
/// delete what is kept.
#[component]
pub fn DataPage() -> impl IntoView {
    use crate::voice::SetKeepRecordings;
    let request = ServerAction::<RequestExport>::new();
    let keep = ServerAction::<SetKeepRecordings>::new();
    let tick = RwSignal::new(0u32);
    let export = Resource::new(
        move || (tick.get(), request.version().get()),
        |_| export_status(),
    );
    let policy = Resource::new(
        move || keep.version().get(),
        |_| crate::voice::get_recording_policy(),
    );
    // While an export is being prepared, ask again every second.
    Effect::new(move |_| {
        if let Some(Ok(Some(v))) = export.get() {
            if v.working() {
                leptos::leptos_dom::helpers::set_timeout(
                    move || tick.update(|t| *t += 1),
                    std::time::Duration::from_millis(1000),
                );
            }
        }
    });
    view! {
        <Title text="Your data"/>
        <article class="prose stack" aria-labelledby="data-title">
            <h1 id="data-title">"Your data"</h1>
            <p class="lede">"Everything Viva keeps about you is yours: download it, decide whether recordings are kept, correct it or delete it — here, at any time."</p>
            <section class="card" aria-labelledby="export-title">
                <h2 id="export-title">"Download my data"</h2>
                <p>"One ZIP file: your account, profile and resume text, every interview with its questions, answers, transcripts, scores and feedback (as data and as readable reports), your sessions and security events, and the recordings you keep. It takes a minute or so; the file can be downloaded for 24 hours."</p>
                <Suspense fallback=|| ()>
                    {move || export.get().map(|r| match r {
                        Ok(v) => view! { <ExportState v/> }.into_any(),
                        Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
                <ActionForm action=request attr:class="form">
                    <button type="submit" class="button" disabled=move || request.pending().get() || matches!(export.get(), Some(Ok(Some(ref v))) if v.working())>
                        "Prepare my download"
                    </button>
                </ActionForm>
                <ActionStatus value=request.value()/>
            </section>
            <section class="card" aria-labelledby="recordings-title">
                <h2 id="recordings-title">"Recordings"</h2>
                <Suspense fallback=|| ()>
                    {move || policy.get().map(|r| match r {
                        Ok(p) => view! {
                            <p>{p.describe()}</p>
                            <ActionForm action=keep attr:class="form">
                                <input type="hidden" name="keep" value=(!p.keep).to_string()/>
                                {if p.keep {
                                    view! { <button type="submit" class="button secondary">"Stop keeping my recordings"</button>
                                        <p class="hint">"This deletes every recording kept so far."</p> }.into_any()
                                } else {
                                    view! { <button type="submit" class="button secondary">{format!("Keep my recordings for {} days", p.retention_days)}</button>
                                        <p class="hint">"Only what you record from now on; you can play it back in your reports."</p> }.into_any()
                                }}
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
                <ActionStatus value=keep.value() ok="Saved."/>
            </section>
            <section class="card" aria-labelledby="correct-title">
                <h2 id="correct-title">"Correct or remove"</h2>
                <ul>
                    <li><a href="/account">"Your name, job, experience, e-mail address and password"</a></li>
                    <li><a href="/profile">"Your profile, and the resume text we keep (see it or delete it)"</a></li>
                    <li><a href="/history">"Your interviews (delete any of them)"</a></li>
                </ul>
            </section>
            <section class="card" aria-labelledby="delete-title-2">
                <h2 id="delete-title-2">"Delete my account"</h2>
                <p class="muted">"Everything above, at once and for good."</p>
                <a class="button danger" href="/account/delete">"Delete my account…"</a>
            </section>
        </article>
    }
}

#[component]
fn ExportState(v: Option<super::model::ExportView>) -> impl IntoView {
    use super::model::ExportStatus;
    use crate::ui::time::format_utc;
    let Some(v) = v else {
        return view! { <p class="muted">"No download prepared yet."</p> }.into_any();
    };
    match v.status {
        ExportStatus::Queued | ExportStatus::Running => view! {
            <div role="status" aria-live="polite">
                <progress max=v.total.max(1) value=v.done aria-label="Gathering your data"></progress>
                <p>{format!("{}…", v.step)}</p>
            </div>
        }
        .into_any(),
        ExportStatus::Done if v.expired => view! {
            <p class="muted">{format!("Your last download expired on {}. Prepare a new one.", v.expires_at.map(format_utc).unwrap_or_default())}</p>
        }
        .into_any(),
        ExportStatus::Done => view! {
            <p role="status">
                <a class="button" href=v.url() download="">{format!("Download my data (ZIP, {})", size(v.bytes))}</a>
                " "<span class="muted">{format!("Available until {}", v.expires_at.map(format_utc).unwrap_or_default())}</span>
            </p>
        }
        .into_any(),
        ExportStatus::Failed => view! {
            <p class="bad" role="alert">{v.error.unwrap_or_else(|| "The download could not be prepared. Try again.".into())}</p>
        }
        .into_any(),
    }
}

/// A file size for people: KB under a megabyte, MB with one decimal above.
fn size(bytes: u64) -> String {
    if bytes < 1_048_576 {
        format!("{} KB", bytes.div_ceil(1024).max(1))
    } else {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    }
}
