//! A part of a page hydrated after the page, in a task of its own. The router hydrates a page
//! at once when its module is in (and a `Suspense` its content), so [`super::Yielding`] cannot
//! split it; [`Later`] can, for a part that is one element: hydration steps over the element and
//! leaves it as the server made it, and the part hydrates in a new task once the page has. On
//! `/signup` the form is such a part: the page's hydration task went from 169 to 94 ms (4×
//! slowed CPU, `node bench/long_tasks.mjs URL`), the form's own under 50.
//!
//! The part must read no server data (no `Resource`, no `Suspense`): a page's data is numbered
//! in the order it is asked for, and this part asks after the rest of the page. Until it has
//! hydrated, the element is the server's HTML (links work; a form posts to its server function
//! without the browser's code); `frontend::hydrate` waits for [`settled`] before it calls the
//! page interactive. Everywhere else (rendering on the server, building or updating in the
//! browser) it is what it wraps. Its code is in the modules of the pages that use it, not in the
//! main module.

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::types::{Element, Node};
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::any_view::{AnyViewState, AnyViewWithAttrs};
use leptos::tachys::view::{Mountable, Position, PositionState, Render, RenderHtml};

/// A part of a page that is one element and reads no server data, hydrated after the page
/// (see the module's note). It is made when it is needed, under the reactive owner that was
/// current where it was written.
pub struct Later {
    owner: Option<Owner>,
    make: Box<dyn FnOnce() -> AnyView + Send>,
}

impl Later {
    pub fn new<V: IntoView + 'static>(make: impl FnOnce() -> V + Send + 'static) -> Self {
        Later {
            owner: Owner::current(),
            make: Box::new(move || make().into_any()),
        }
    }

    fn into_view(self) -> AnyView {
        match self.owner {
            Some(owner) => owner.with(self.make),
            None => (self.make)(),
        }
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// How many parts are still to hydrate.
    static PENDING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Resolves when every part left for later has hydrated (at once when none was).
pub async fn settled() {
    #[cfg(feature = "hydrate")]
    while PENDING.with(|p| p.get()) > 0 {
        super::yielding::yield_to_browser().await;
    }
}

/// A [`Later`] part's state: hydrated (or built), or still the server's element.
pub struct LaterState(Part);

enum Part {
    Now(AnyViewState),
    #[cfg(feature = "hydrate")]
    Waiting(std::rc::Rc<Waiting>),
}

/// A part waiting for its task: the server's element, and its state once hydrated.
#[cfg(feature = "hydrate")]
struct Waiting {
    el: Element,
    state: std::cell::RefCell<Option<AnyViewState>>,
    /// Replaced by a new view before its turn: the element is gone, nothing to hydrate.
    replaced: std::cell::Cell<bool>,
}

#[cfg(feature = "hydrate")]
impl Later {
    /// Steps over the part's element (as hydrating it would) and leaves the part for a task of
    /// its own; given back (the cursor as it was) when the node there is not an element.
    fn hydrate_later(self, cursor: &Cursor, position: &PositionState) -> Result<LaterState, Self> {
        use std::rc::Rc;
        use wasm_bindgen::JsCast;
        let (was, was_at) = (cursor.current(), position.get());
        match was_at {
            Position::FirstChild => cursor.child(),
            Position::Current => {}
            _ => cursor.sibling(),
        }
        let Ok(el) = cursor.current().dyn_into::<Element>() else {
            cursor.set(was);
            position.set(was_at);
            return Err(self);
        };
        position.set(Position::NextChild);
        let waiting = Rc::new(Waiting {
            el,
            state: Default::default(),
            replaced: Default::default(),
        });
        let weak = Rc::downgrade(&waiting);
        PENDING.with(|p| p.set(p.get() + 1));
        leptos::task::spawn_local(async move {
            super::yielding::yield_to_browser().await;
            // Gone (its page was left) or replaced: nothing to hydrate.
            if let Some(waiting) = weak.upgrade().filter(|w| !w.replaced.get()) {
                let at = Cursor::new(waiting.el.clone());
                // Under the part's owner, as where it was written: what hydrating makes (its
                // effects, its event handlers' cleanups) belongs to the page and goes with it.
                let owner = self.owner.clone();
                let hydrate = move || {
                    self.into_view()
                        .hydrate::<true>(&at, &PositionState::new(Position::Current))
                };
                let state = match owner {
                    Some(owner) => owner.with(hydrate),
                    None => hydrate(),
                };
                *waiting.state.borrow_mut() = Some(state);
            }
            PENDING.with(|p| p.set(p.get() - 1));
        });
        Ok(LaterState(Part::Waiting(waiting)))
    }
}

impl Render for Later {
    type State = LaterState;

    fn build(self) -> Self::State {
        LaterState(Part::Now(self.into_view().build()))
    }

    fn rebuild(self, state: &mut Self::State) {
        match &mut state.0 {
            Part::Now(s) => self.into_view().rebuild(s),
            #[cfg(feature = "hydrate")]
            Part::Waiting(waiting) => {
                let hydrated = waiting.state.borrow_mut().take();
                let new = match hydrated {
                    Some(mut s) => {
                        self.into_view().rebuild(&mut s);
                        s
                    }
                    None => {
                        // Its turn has not come: the new view takes the element's place.
                        waiting.replaced.set(true);
                        let mut new = self.into_view().build();
                        if let Some(parent) = waiting.el.parent_element() {
                            new.mount(&parent, Some(waiting.el.as_ref()));
                        }
                        waiting.el.remove();
                        new
                    }
                };
                state.0 = Part::Now(new);
            }
        }
    }
}

impl Mountable for LaterState {
    fn unmount(&mut self) {
        match &mut self.0 {
            Part::Now(s) => s.unmount(),
            #[cfg(feature = "hydrate")]
            Part::Waiting(waiting) => match waiting.state.borrow_mut().as_mut() {
                Some(s) => s.unmount(),
                None => waiting.el.remove(),
            },
        }
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        match &mut self.0 {
            Part::Now(s) => s.mount(parent, marker),
            #[cfg(feature = "hydrate")]
            Part::Waiting(waiting) => match waiting.state.borrow_mut().as_mut() {
                Some(s) => s.mount(parent, marker),
                None => {
                    _ = parent.insert_before(waiting.el.as_ref(), marker);
                }
            },
        }
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        match &self.0 {
            Part::Now(s) => s.insert_before_this(child),
            #[cfg(feature = "hydrate")]
            Part::Waiting(waiting) => match waiting.state.borrow().as_ref() {
                Some(s) => s.insert_before_this(child),
                None => match waiting.el.parent_element() {
                    Some(parent) => {
                        child.mount(&parent, Some(waiting.el.as_ref()));
                        true
                    }
                    None => false,
                },
            },
        }
    }

    fn elements(&self) -> Vec<Element> {
        match &self.0 {
            Part::Now(s) => s.elements(),
            #[cfg(feature = "hydrate")]
            Part::Waiting(waiting) => match waiting.state.borrow().as_ref() {
                Some(s) => s.elements(),
                None => vec![waiting.el.clone()],
            },
        }
    }
}

impl AddAnyAttr for Later {
    type Output<SomeNewAttr: Attribute> = AnyViewWithAttrs;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        self.into_view().add_any_attr(attr)
    }
}

impl RenderHtml for Later {
    type AsyncOutput = AnyView;
    type Owned = Self;
    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self::AsyncOutput {
        self.into_view().resolve().await
    }

    fn html_len(&self) -> usize {
        0
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
        #[cfg(feature = "hydrate")]
        let this = if FROM_SERVER {
            match self.hydrate_later(cursor, position) {
                Ok(state) => return state,
                Err(part) => part,
            }
        } else {
            self
        };
        #[cfg(not(feature = "hydrate"))]
        let this = self;
        LaterState(Part::Now(
            this.into_view().hydrate::<FROM_SERVER>(cursor, position),
        ))
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        LaterState(Part::Now(
            self.into_view().hydrate_async(cursor, position).await,
        ))
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}
