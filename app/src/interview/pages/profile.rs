//! /profile: background, target roles and the resume.

use leptos::prelude::*;
use leptos_meta::Title;

use super::super::api::*;
use super::super::model::*;
use super::super::types::*;
use super::role_options;
use crate::ui::time::format_utc;
use crate::ui::ActionStatus;
use crate::ui::ErrorNotice;

const RESUME_UPLOAD_PATH: &str = "/api/interview/resume";

#[component]
pub fn ProfilePage() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let remove = ServerAction::<DeleteResume>::new();
    // Uploads go as multipart form data; before hydration the form posts the same request.
    let upload = Action::new_local(|data: &web_form::FormData| {
        upload_resume(web_form::into_multipart(data))
    });
    let profile = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                upload.version().get(),
            )
        },
        |_| get_profile(),
    );
    let on_upload = move |ev: leptos::ev::SubmitEvent| {
        if let Some(data) = web_form::form_data(&ev) {
            ev.prevent_default();
            upload.dispatch_local(data);
        }
    };
    let upload_pending = upload.pending();
    view! {
        <Title text="Your profile"/>
        <section class="stack" aria-labelledby="prof-title">
            <h1 id="prof-title">"Your profile"</h1>
            <p class="lede">"What you tell us here shapes your questions: your target role, companies and skills."</p>
            <section class="card" aria-labelledby="resume-title">
                <h2 id="resume-title">"Resume"</h2>
                <Suspense fallback=|| ()>
                    {move || profile.get().and_then(Result::ok).map(|p| match p.resume {
                        Some(r) => view! {
                            <p>{format!("{} · {} KB · uploaded {} · {} characters of text", r.file_name, r.bytes.div_ceil(1024), format_utc(r.uploaded_at), r.characters)}</p>
                            <p class="muted">{if r.skills.is_empty() { "No skills we know were found in it.".to_string() } else { format!("Skills found (added to your skills below): {}", r.skills.join(", ")) }}</p>
                            <details class="resume-text">
                                <summary>"The text we keep from it"</summary>
                                <pre tabindex="0" aria-label="The text of your resume that Viva keeps">{r.text.clone()}</pre>
                            </details>
                            <ActionForm action=remove attr:class="inline">
                                <button type="submit" class="button secondary small">"Delete resume"</button>
                            </ActionForm>
                        }.into_any(),
                        None => view! { <p class="muted">"No resume yet. Upload one to get questions about your own skills and projects."</p> }.into_any(),
                    })}
                </Suspense>
                <form class="form" method="post" action=RESUME_UPLOAD_PATH enctype="multipart/form-data" on:submit=on_upload>
                    <label for="p-resume">"Resume (PDF, up to 5 MB)"</label>
                    <input id="p-resume" name="resume" type="file" accept="application/pdf,.pdf" required/>
                    <p class="hint">"We keep the text of your resume, not the file, and use it only to personalise your practice."</p>
                    <button type="submit" class="button" disabled=move || upload_pending.get()>
                        {move || if upload_pending.get() { "Reading your resume…" } else { "Upload resume" }}
                    </button>
                </form>
                <ActionStatus value=upload.value() ok="Your resume was read."/>
                <ActionStatus value=remove.value() ok="Your resume was deleted."/>
            </section>
            <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    let p = match profile.await {
                        Ok(p) => p,
                        Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                    };
                    let role = p.target_roles.first().cloned().unwrap_or_else(|| role_from_job_title(&p.job_title).to_string());
                    view! {
                        <ActionForm action=save attr:class="form card">
                            <label for="p-role">"Target role"</label>
                            <select id="p-role" name="form[target_role]">{role_options(role)}</select>
                            <label for="p-companies">"Target companies (comma-separated)"</label>
                            <input id="p-companies" name="form[target_companies]" value=p.target_companies.join(", ") maxlength="2000"/>
                            <label for="p-skills">"Skills (comma-separated)"</label>
                            <input id="p-skills" name="form[skills]" value=p.skills.join(", ") maxlength="2000"/>
                            <label for="p-bg">"Career background"</label>
                            <textarea id="p-bg" name="form[background]" rows="6" maxlength=MAX_BACKGROUND_CHARS>{p.background.clone()}</textarea>
                            <p class="hint">{format!("Signed up as: {} ({} level)", p.job_title, p.experience)}</p>
                            <button type="submit" class="button">"Save profile"</button>
                        </ActionForm>
                        <ActionStatus value=save.value() ok="Saved."/>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// The browser side of form uploads: the form's data as multipart, only once hydrated.
mod web_form {
    pub use inner::*;

    #[cfg(feature = "hydrate")]
    mod inner {
        use wasm_bindgen::JsCast;
        pub type FormData = web_sys::FormData;

        pub fn form_data(ev: &leptos::ev::SubmitEvent) -> Option<FormData> {
            let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
            FormData::new_with_form(&form).ok()
        }

        pub fn into_multipart(data: &FormData) -> server_fn::codec::MultipartData {
            data.clone().into()
        }
    }

    #[cfg(not(feature = "hydrate"))]
    mod inner {
        /// On the server nothing is submitted from a page; these only keep the types whole.
        pub type FormData = ();

        pub fn form_data(_ev: &leptos::ev::SubmitEvent) -> Option<FormData> {
            None
        }

        pub fn into_multipart(_data: &FormData) -> server_fn::codec::MultipartData {
            unreachable!("uploads are dispatched only in the browser")
        }
    }
}
