//! The account pages. Forms are `ActionForm`s, so they work before hydration too.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_query_map};

use super::api::*;
use crate::ui::{time::format_utc, ActionStatus, Later};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let pending = action.pending();
    // A referral link (/signup?ref=CODE) fills in the code.
    let query = use_query_map();
    let referral = move || query.read().get("ref").unwrap_or_default();
    view! {
        <Title text="Create your account"/>
        <Meta name="description" content="Create a Viva account to practise interviews by voice or text and get scored feedback."/>
        <section class="auth-card card" aria-labelledby="signup-title">
            <h1 id="signup-title">"Create your account"</h1>
            <p class="muted">"Practise for the job you want. We e-mail you a code to confirm your address."</p>
            // The form hydrates in a task of its own, after the page (`Later`).
            {Later::new(move || view! {
            <ActionForm action=action attr:class="form">
                <label for="su-name">"Your name"</label>
                <input id="su-name" name="form[name]" autocomplete="name" required maxlength="100"/>
                <label for="su-email">"E-mail address"</label>
                <input id="su-email" name="form[email]" type="email" autocomplete="email" required maxlength="254"/>
                <label for="su-password">"Password"</label>
                <input id="su-password" name="form[password]" type="password" autocomplete="new-password" required minlength="8" maxlength="256" aria-describedby="su-password-hint"/>
                <p id="su-password-hint" class="hint">"At least 8 characters. A few unrelated words make a strong password you can remember."</p>
                <label for="su-job">"Job you are preparing for"</label>
                <input id="su-job" name="form[job_role]" required maxlength="100" placeholder="e.g. Backend engineer"/>
                <label for="su-exp">"Experience level"</label>
                <select id="su-exp" name="form[experience]" required>
                    {experience_options(super::Experience::Mid.as_str())}
                </select>
                <label for="su-ref">"Referral code (optional)"</label>
                <input id="su-ref" name="form[referral_code]" maxlength="32" value=referral/>
                <label class="check"><input type="checkbox" name="form[age_confirmed]" required/>" I am 16 or older"</label>
                <label class="check"><input type="checkbox" name="form[accept_terms]" required/>
                    " I agree to the "<a href="/terms">"terms of use"</a>" and the "<a href="/privacy">"privacy notice"</a>
                </label>
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            })}
            <ActionStatus value=action.value()/>
            <ProviderButtons/>
            <p>"Already have an account? "<A href="/signin">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let query = use_query_map();
    let email = move || query.read().get("email").unwrap_or_default();
    let verify = ServerAction::<VerifyEmail>::new();
    let resend = ServerAction::<ResendCode>::new();
    view! {
        <Title text="Confirm your e-mail address"/>
        <section class="auth-card card" aria-labelledby="verify-title">
            <h1 id="verify-title">"Check your e-mail"</h1>
            <p class="muted">"We sent a 6-digit code to your address. It works for 10 minutes."</p>
            <ActionForm action=verify attr:class="form">
                <label for="v-email">"E-mail address"</label>
                <input id="v-email" name="email" type="email" autocomplete="email" required prop:value=email/>
                <label for="v-code">"6-digit code"</label>
                <input id="v-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="9" pattern="[0-9 \\-]{6,9}"/>
                <button type="submit" class="button">"Confirm address"</button>
            </ActionForm>
            <ActionStatus value=verify.value()/>
            <ActionForm action=resend attr:class="form inline">
                <input type="hidden" name="email" prop:value=email/>
                <button type="submit" class="button secondary">"Send a new code"</button>
            </ActionForm>
            <ActionStatus value=resend.value() ok="If this address is waiting for confirmation, a new code is on its way. We send at most one a minute while the last code still works."/>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let verified = move || query.read().get("verified").is_some();
    let action = ServerAction::<SignIn>::new();
    let pending = action.pending();
    view! {
        <Title text="Sign in"/>
        <Meta name="description" content="Sign in to Viva to continue your interview practice."/>
        <section class="auth-card card" aria-labelledby="signin-title">
            <h1 id="signin-title">"Sign in"</h1>
            <Show when=verified>
                <p class="ok" role="status">"Your address is confirmed. Sign in to start practising."</p>
            </Show>
            <Show when=move || query.read().get("reset").is_some() || query.read().get("changed").is_some()>
                <p class="ok" role="status">"Your password is changed and every device was signed out. Sign in with the new password."</p>
            </Show>
            {Later::new(move || view! {
            <ActionForm action=action attr:class="form">
                <label for="si-email">"E-mail address"</label>
                <input id="si-email" name="email" type="email" autocomplete="email" required/>
                <label for="si-password">"Password"</label>
                <input id="si-password" name="password" type="password" autocomplete="current-password" required/>
                <input type="hidden" name="next" prop:value=move || query.read().get("next").unwrap_or_default()/>
                <button type="submit" class="button" disabled=move || pending.get()>"Sign in"</button>
            </ActionForm>
            })}
            <ActionStatus value=action.value()/>
            <ProviderButtons/>
            <p><A href="/reset">"Forgot your password?"</A></p>
            <p>"New here? "<A href="/signup">"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    let claim = ServerAction::<super::ClaimAdmin>::new();
    let query = use_query_map();
    let welcome = move || query.read().get("welcome").is_some();
    let reset = move || query.read().get("reset").is_some();
    view! {
        <Title text="Dashboard"/>
        <Suspense fallback=|| view! { <p>"Loading your account…"</p> }>
            {move || me.get().map(|r| match r {
                Ok(Some(m)) => view! {
                    <section aria-labelledby="dash-title">
                        <h1 id="dash-title">"Welcome, " {m.name.clone()}</h1>
                        <p class="muted">"Signed in as " {m.email.clone()}
                            {if m.email_verified { "" } else { " (address not confirmed yet)" }}</p>
                        <Show when=reset>
                            <p class="notice ok" role="status">"Your password is changed and you are signed in. Every other device was signed out."</p>
                        </Show>
                        <Show when=welcome>
                            <section class="card notice first-run" aria-labelledby="first-run-title">
                                <h2 id="first-run-title">"Your address is confirmed — you are signed in"</h2>
                                <p>"Three steps to your first feedback:"</p>
                                <ol class="steps">
                                    <li><strong>"Pick your role"</strong>" on "<A href="/profile">"your profile"</A>" (and add a resume if you like), so the questions fit."</li>
                                    <li><strong>"Answer a warm-up"</strong>": three short questions, by typing or out loud."</li>
                                    <li><strong>"Read your report"</strong>": scores, what went well, and what to practise next."</li>
                                </ol>
                                <p><A href="/practice" attr:class="button">"Start practising"</A></p>
                            </section>
                        </Show>
                        <div class="card warmup">
                            <h2>"Ready to practise?"</h2>
                            <p>"Set up a mock interview for the role you want, or start a three-question warm-up."</p>
                            <p><A href="/practice" attr:class="button">"Practise an interview"</A></p>
                        </div>
                        <ul class="link-list">
                            <li><A href="/history">"History and progress"</A></li>
                            <li><A href="/profile">"Your profile"</A></li>
                            <li><A href="/account">"Account and security"</A></li>
                            {(m.role == super::Role::Admin).then(|| view! { <li><A href="/admin">"Administration"</A></li> })}
                        </ul>
                        {m.admin_offer.then(|| view! {
                            <details class="card admin-offer">
                                <summary>"Do you run this site? Set up administration"</summary>
                                <p>"Nobody administers this installation yet. The person who runs it can become its administrator with the setup token from the file "<code>"admin-setup-token"</code>" in the server's data directory (its path is in the server's log). Everyone else can ignore this."</p>
                                <ActionForm action=claim attr:class="form">
                                    <label for="setup-token">"Setup token"</label>
                                    <input id="setup-token" name="token" type="password" autocomplete="off" required/>
                                    <button type="submit" class="button">"Become the administrator"</button>
                                </ActionForm>
                                <ActionStatus value=claim.value()/>
                            </details>
                        })}
                        <SignOutButtons/>
                    </section>
                }.into_any(),
                Ok(None) => view! { <SignedOut/> }.into_any(),
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// "Continue with …" for each configured provider; nothing when none is.
#[component]
fn ProviderButtons() -> impl IntoView {
    let list = Resource::new(|| (), |_| providers());
    let query = use_query_map();
    view! {
        <Suspense fallback=|| ()>
            {move || list.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|l| {
                let next = url_encode(&query.read().get("next").unwrap_or_default());
                view! {
                    <div class="providers" role="group" aria-label="Other ways to sign in">
                        {l.into_iter().map(|p| view! {
                            <a class="button secondary" rel="external" href=format!("/auth/oidc/{}/start?next={next}", p.id)>{format!("Continue with {}", p.label)}</a>
                        }).collect_view()}
                        <p class="hint">"A new account made this way confirms that you are 16 or older and agree to the "<a href="/terms">"terms of use"</a>" and the "<a href="/privacy">"privacy notice"</a>"."</p>
                    </div>
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <section>
            <h1>"You are signed out"</h1>
            <p><A href="/signin">"Sign in"</A>" to continue."</p>
        </section>
    }
}

#[component]
fn SignOutButtons() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        <div class="button-row">
            <ActionForm action=sign_out><button type="submit" class="button secondary">"Sign out"</button></ActionForm>
            <ActionForm action=everywhere><button type="submit" class="button secondary">"Sign out everywhere"</button></ActionForm>
        </div>
    }
}

/// Forgotten password: ask for a code, then set a new password with it.
#[component]
pub fn ResetPage() -> impl IntoView {
    let request = ServerAction::<RequestReset>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let email = RwSignal::new(String::new());
    view! {
        <Title text="Reset your password"/>
        <section class="auth-card card" aria-labelledby="reset-title">
            <h1 id="reset-title">"Reset your password"</h1>
            <p class="muted">"We e-mail you a 6-digit code. Resetting signs you out on every device."</p>
            <ActionForm action=request attr:class="form">
                <label for="r-email">"E-mail address"</label>
                <input id="r-email" name="email" type="email" autocomplete="email" required maxlength="254"
                    on:input=move |ev| email.set(event_target_value(&ev))/>
                <button type="submit" class="button secondary">"E-mail me a code"</button>
            </ActionForm>
            <ActionStatus value=request.value() ok="If this address has an account, a code is on its way. It works for 10 minutes."/>
            <h2>"Enter the code"</h2>
            <ActionForm action=reset attr:class="form">
                <label for="r-email2">"E-mail address"</label>
                <input id="r-email2" name="email" type="email" autocomplete="email" required maxlength="254" prop:value=move || email.get()/>
                <label for="r-code">"6-digit code"</label>
                <input id="r-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="9"/>
                <label for="r-password">"New password"</label>
                <input id="r-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256"/>
                <button type="submit" class="button">"Set new password"</button>
            </ActionForm>
            <ActionStatus value=reset.value()/>
        </section>
    }
}

/// The experience levels as `<option>`s, `selected` chosen.
fn experience_options(selected: &str) -> impl IntoView {
    super::Experience::ALL
        .iter()
        .map(|e| view! { <option value=e.as_str() selected=e.as_str() == selected>{e.label()}</option> })
        .collect_view()
}

/// What sign-up asked, corrected here: name, the job being prepared for, experience.
#[component]
fn DetailsCard() -> impl IntoView {
    let save = ServerAction::<UpdateMyDetails>::new();
    let details = Resource::new(move || save.version().get(), |_| my_details());
    view! {
        <section class="card" aria-labelledby="details-title">
            <h2 id="details-title">"Your details"</h2>
            <Suspense fallback=|| view! { <p>"Loading your details…"</p> }>
                {move || details.get().map(|r| match r {
                    Ok(d) => view! {
                        <ActionForm action=save attr:class="form">
                            <label for="d-name">"Your name"</label>
                            <input id="d-name" name="name" autocomplete="name" required maxlength="100" value=d.name/>
                            <label for="d-job">"Job you are preparing for"</label>
                            <input id="d-job" name="job_role" required maxlength="100" value=d.job_role/>
                            <label for="d-exp">"Experience level"</label>
                            <select id="d-exp" name="experience" required>{experience_options(&d.experience)}</select>
                            <button type="submit" class="button secondary">"Save details"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <crate::ui::ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
            <ActionStatus value=save.value() ok="Your details are saved."/>
        </section>
    }
}

/// Account and security: sessions, password, e-mail address.
#[component]
pub fn AccountPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let start_pw = ServerAction::<StartPasswordChange>::new();
    let finish_pw = ServerAction::<FinishPasswordChange>::new();
    let start_email = ServerAction::<StartEmailChange>::new();
    let finish_email = ServerAction::<FinishEmailChange>::new();
    // A changed address signs the other devices out: the list shows it at once.
    let list = Resource::new(
        move || (revoke.version().get(), finish_email.version().get()),
        |_| sessions(),
    );
    view! {
        <Title text="Account and security"/>
        <h1>"Account and security"</h1>
        <Suspense fallback=|| view! { <p>"Loading your sessions…"</p> }>
            {move || list.get().map(|r| match r {
                Err(crate::AppError::Unauthorized) => view! { <SignedOut/> }.into_any(),
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(items) => view! {
                    <section class="card" aria-labelledby="sessions-title">
                        <h2 id="sessions-title">"Where you are signed in"</h2>
                        <ul class="sessions">
                        {items.into_iter().map(|s| {
                            let label = format!("Sign out {} (last used {})", s.browser, format_utc(s.last_used_at));
                            view! {
                                <li>
                                    <span><strong>{s.browser.clone()}</strong>{s.current.then_some(" (this browser)")}</span>
                                    <span class="muted">{format!(" signed in {}, last used {}", format_utc(s.created_at), format_utc(s.last_used_at))}</span>
                                    {(!s.current).then(|| view! {
                                        <ActionForm action=revoke attr:class="inline">
                                            <input type="hidden" name="id" value=s.id.clone()/>
                                            <button type="submit" class="button small secondary" aria-label=label>"Sign out"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                        </ul>
                        <ActionStatus value=revoke.value() ok="That session is signed out."/>
                        <SignOutButtons/>
                    </section>
                }.into_any(),
            })}
        </Suspense>
        <super::ConsentsCard/>
        <section class="card" aria-labelledby="pw-title">
            <h2 id="pw-title">"Change your password"</h2>
            <ActionForm action=start_pw attr:class="form">
                <label for="cp-current">"Current password"</label>
                <input id="cp-current" name="current_password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="button secondary">"E-mail me a code"</button>
            </ActionForm>
            <ActionStatus value=start_pw.value() ok="A code is on its way to your address."/>
            <ActionForm action=finish_pw attr:class="form">
                <label for="cp-code">"6-digit code"</label>
                <input id="cp-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="9"/>
                <label for="cp-new">"New password"</label>
                <input id="cp-new" name="new_password" type="password" autocomplete="new-password" required minlength="8" maxlength="256"/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
            <ActionStatus value=finish_pw.value()/>
        </section>
        <section class="card" aria-labelledby="em-title">
            <h2 id="em-title">"Change your e-mail address"</h2>
            <ActionForm action=start_email attr:class="form">
                <label for="ce-new">"New e-mail address"</label>
                <input id="ce-new" name="new_email" type="email" autocomplete="email" required maxlength="254"/>
                <label for="ce-current">"Current password"</label>
                <input id="ce-current" name="current_password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="button secondary">"E-mail a code to the new address"</button>
            </ActionForm>
            <ActionStatus value=start_email.value() ok="If the address is free, a code is on its way to it."/>
            <ActionForm action=finish_email attr:class="form">
                <label for="ce-code">"Code from the new address"</label>
                <input id="ce-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="9"/>
                <button type="submit" class="button">"Change address"</button>
            </ActionForm>
            {move || match finish_email.value().get() {
                Some(Ok(addr)) => view! { <p class="ok" role="status">"Your address is now " {addr} "."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
        <LinkProviders/>
        <DetailsCard/>
        <section class="card" aria-labelledby="data-link-title">
            <h2 id="data-link-title">"Your data"</h2>
            <p class="muted">"Download everything Viva keeps about you, decide whether your recordings are kept, or delete your account and everything in it."</p>
            <p class="actions"><a class="button secondary" href="/account/data">"Your data…"</a>" "<a class="button danger" href="/account/delete">"Delete my account…"</a></p>
        </section>
    }
}

/// Links a provider login to this account: started here, signed in, the login may use an
/// address that already has an account (see `oidc::finish`). Nothing when none is set up.
#[component]
fn LinkProviders() -> impl IntoView {
    let list = Resource::new(|| (), |_| providers());
    view! {
        <Suspense fallback=|| ()>
            {move || list.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|l| view! {
                <section class="card" aria-labelledby="providers-title">
                    <h2 id="providers-title">"Sign in with another service"</h2>
                    <p>"Link a service to this account: afterwards its button on the sign-in page signs you in here."</p>
                    <div class="button-row">
                        {l.into_iter().map(|p| view! {
                            <a class="button secondary" rel="external" href=format!("/auth/oidc/{}/start?next=/account", p.id)>{format!("Continue with {}", p.label)}</a>
                        }).collect_view()}
                    </div>
                </section>
            })}
        </Suspense>
    }
}
