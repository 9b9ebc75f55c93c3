//! Entry point of the wasm bundle: hydrate the HTML the server rendered. Every page but the
//! landing page is a lazy route (see `app::shell::lazy`): its module is loaded first, while the
//! parts before it (the header) already hydrate. When the whole page is interactive, `<html>`
//! gets `data-hydrated` (the browser tests wait for it).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    console_error_panic_hook::set_once();
    // The page hydrates in parts, a task each (`app::ui::Yielding`): the router listens for link
    // clicks (on the window) from its part on, but follows a link only once the page's part has
    // hydrated too. Until the whole page has, a click goes no further than the document, so a
    // link is followed by the browser itself, as before the bundle arrived.
    let hold = Closure::<dyn Fn(leptos::web_sys::Event)>::new(|ev: leptos::web_sys::Event| {
        ev.stop_propagation()
    });
    let holding = document()
        .add_event_listener_with_callback("click", hold.as_ref().unchecked_ref())
        .is_ok();
    // hydrate_from_async sets Leptos up to run its tasks on wasm-bindgen-futures.
    wasm_bindgen_futures::spawn_local(async move {
        let owner =
            leptos::mount::hydrate_from_async(document().body().expect("a body"), app::App).await;
        // The parts of the page left for tasks of their own (`app::ui::Later`).
        app::ui::settled().await;
        // The page lives as long as the tab.
        owner.forget();
        if holding {
            _ = document()
                .remove_event_listener_with_callback("click", hold.as_ref().unchecked_ref());
        }
        drop(hold);
        if let Some(html) = document().document_element() {
            _ = html.set_attribute("data-hydrated", "");
        }
    });
}
