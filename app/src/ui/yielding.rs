//! Hydration in parts. Hydrating a page is one task on the browser's main thread until
//! something in it waits; every task over 50 ms counts against the page in Lighthouse (total
//! blocking time), and more than half of hydrating is V8 compiling each wasm function the first
//! time it runs. [`Yielding`] wraps a part of a page: while hydrating, it first hands the main
//! thread back to the browser (a new task), then hydrates what it wraps, so the page's
//! hydration is several short tasks instead of one long one. Everywhere else (rendering on the
//! server, building or updating in the browser) it is what it wraps.
//!
//! It yields only where Leptos hydrates asynchronously: the shell around the router's `Routes`
//! of the app. A page itself is hydrated at once, when its module is in (the router's
//! `Routes` awaits the module, then hydrates synchronously), and so is whatever a `Suspense`
//! holds: there it is only what it wraps, and [`super::Later`] splits a page instead. (`FlatRoutes` hydrates its page asynchronously, but it
//! does not preload a lazy route's module, which the offline and upgrade paths count on.)

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::any_view::{AnyViewState, AnyViewWithAttrs};
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

/// A part of a page hydrated in a task of its own (see the module's note). It is made when it
/// is needed (in the browser: after the yield, so that its components run in the new task too),
/// under the reactive owner that was current where it was written.
pub struct Yielding {
    owner: Option<Owner>,
    make: Option<Box<dyn FnOnce() -> AnyView + Send>>,
    view: Option<AnyView>,
}

impl Yielding {
    pub fn new<V: IntoView + 'static>(make: impl FnOnce() -> V + Send + 'static) -> Self {
        Yielding {
            owner: Owner::current(),
            make: Some(Box::new(move || make().into_any())),
            view: None,
        }
    }

    fn made(&mut self) -> &mut AnyView {
        let (owner, make) = (&self.owner, &mut self.make);
        self.view.get_or_insert_with(|| match (make.take(), owner) {
            (Some(make), Some(owner)) => owner.with(make),
            (Some(make), None) => make(),
            (None, _) => ().into_any(),
        })
    }

    fn into_view(mut self) -> AnyView {
        std::mem::replace(self.made(), ().into_any())
    }
}

/// Lets the browser run what waits (input, paint) before the rest of the page hydrates: the
/// continuation is a new task (a `MessageChannel` message: unlike `setTimeout`, not throttled
/// in a background tab), not a microtask of this one.
#[cfg(feature = "hydrate")]
pub(super) async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return;
    };
    let next_task = web_sys::js_sys::Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
        if channel
            .port2()
            .post_message(&wasm_bindgen::JsValue::UNDEFINED)
            .is_err()
        {
            _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    _ = wasm_bindgen_futures::JsFuture::from(next_task).await;
    channel.port1().set_onmessage(None);
}

impl Render for Yielding {
    type State = AnyViewState;

    fn build(self) -> Self::State {
        self.into_view().build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.into_view().rebuild(state)
    }
}

impl AddAnyAttr for Yielding {
    type Output<SomeNewAttr: Attribute> = AnyViewWithAttrs;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        self.into_view().add_any_attr(attr)
    }
}

impl RenderHtml for Yielding {
    type AsyncOutput = AnyView;
    type Owned = Self;
    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {
        self.made().dry_resolve()
    }

    async fn resolve(self) -> Self::AsyncOutput {
        self.into_view().resolve().await
    }

    fn html_len(&self) -> usize {
        self.view.as_ref().map_or(0, |view| view.html_len())
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.into_view()
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut leptos::tachys::ssr::StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.into_view().to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        )
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.into_view().hydrate::<FROM_SERVER>(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        #[cfg(feature = "hydrate")]
        yield_to_browser().await;
        self.into_view().hydrate_async(cursor, position).await
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}
