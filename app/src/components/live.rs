//! Live updates: a version number that goes up whenever the server says a topic changed
//! (server-sent events from `/live`). Pages fold it into their resources' sources, so they
//! refetch through their own server functions, with the user's own access rights.

use leptos::prelude::*;

/// The number of changes to `topic` seen since the page opened (0 on the server).
pub fn live_version(topic: &'static str) -> ReadSignal<u64> {
    let (version, set_version) = signal(0u64);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new("/live") else {
                return;
            };
            let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |e: web_sys::MessageEvent| {
                    if e.data().as_string().as_deref() == Some(topic) {
                        set_version.update(|v| *v += 1);
                    }
                },
            );
            let _ = source
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            let held = send_wrapper::SendWrapper::new((source, on_change));
            on_cleanup(move || held.take().0.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (topic, set_version);
    version
}
