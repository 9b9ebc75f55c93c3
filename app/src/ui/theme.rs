//! Light/dark theme: follows `prefers-color-scheme` until the person picks one, then remembers
//! the choice in localStorage. The early script sets `data-theme` on `<html>` before first
//! paint; the toggle (which works once the page has hydrated) flips and stores it.
// The server renders the toggle without knowing the theme: the helpers run in the browser.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;

/// localStorage key holding "light" or "dark".
pub const THEME_STORAGE_KEY: &str = "viva-theme";

/// Inline script run in `<head>` (allowed by the CSP nonce).
pub const EARLY_THEME_SCRIPT: &str = "(function(){try{var t=localStorage.getItem('viva-theme');\
if(t!=='light'&&t!=='dark'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}\
document.documentElement.dataset.theme=t}catch(e){}})();";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

#[cfg(feature = "hydrate")]
fn current_document_theme() -> Theme {
    document()
        .document_element()
        .and_then(|el| el.get_attribute("data-theme"))
        .and_then(|t| Theme::parse(&t))
        .unwrap_or(Theme::Light)
}

#[cfg(feature = "hydrate")]
fn apply_theme(theme: Theme) {
    if let Some(el) = document().document_element() {
        let _ = el.set_attribute("data-theme", theme.as_str());
    }
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(THEME_STORAGE_KEY, theme.as_str());
    }
}

/// A button that switches between light and dark. Its accessible name is constant; its
/// pressed state tells whether the dark theme is on.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // None until hydrated: the server cannot know the person's choice.
    let theme = RwSignal::new(None::<Theme>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| theme.set(Some(current_document_theme())));

    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let next = theme
                .get_untracked()
                .unwrap_or_else(current_document_theme)
                .toggled();
            apply_theme(next);
            theme.set(Some(next));
        }
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            aria-label="Dark theme"
            aria-pressed=move || match theme.get() {
                Some(Theme::Dark) => "true",
                Some(Theme::Light) => "false",
                None => "mixed",
            }
            disabled=move || theme.get().is_none()
            title="Switch between light and dark theme"
            on:click=on_click
        >
            <span class="theme-icon" aria-hidden="true"></span>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_twice_returns_to_the_start() {
        for t in [Theme::Light, Theme::Dark] {
            assert_ne!(t.toggled(), t);
            assert_eq!(t.toggled().toggled(), t);
            assert_eq!(Theme::parse(t.as_str()), Some(t));
        }
        assert_eq!(Theme::parse("blue"), None);
    }

    #[test]
    fn early_script_uses_the_same_storage_key() {
        assert!(EARLY_THEME_SCRIPT.contains(THEME_STORAGE_KEY));
    }
}
