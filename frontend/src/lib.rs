//! Entry point of the wasm bundle: hydrate the HTML the server rendered. Every page but the
//! landing page is a lazy route (see `app::shell::lazy`): its module is loaded first, while the
//! parts before it (the header) already hydrate. When the whole page is interactive, `<html>`
//! gets `data-hydrated` (the browser tests wait for it).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;
    console_error_panic_hook::set_once();
    // hydrate_from_async sets Leptos up to run its tasks on wasm-bindgen-futures.
    wasm_bindgen_futures::spawn_local(async {
        let owner =
            leptos::mount::hydrate_from_async(document().body().expect("a body"), app::App).await;
        // The page lives as long as the tab.
        owner.forget();
        if let Some(html) = document().document_element() {
            _ = html.set_attribute("data-hydrated", "");
        }
    });
}
