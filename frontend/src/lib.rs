//! Entry point of the wasm bundle: hydrate the HTML the server rendered. `hydrate_lazy` first
//! loads the code of the page's lazy route (see `app::shell::lazy`), when it has one.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
