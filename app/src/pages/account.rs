//! `/account`: the signed-in user's own details and password.

use crate::api::auth::ChangePassword;
use crate::components::{action_outcome, SignedIn};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <SignedIn next="/account" let:user>
            <section class="page">
                <h1>"Your account"</h1>
                <dl class="facts">
                    <dt>"Name"</dt><dd>{user.display_name.clone()}</dd>
                    <dt>"Email"</dt><dd>{user.email.clone()}</dd>
                    <dt>"Role"</dt><dd>{user.role.label()}</dd>
                </dl>
                <h2>"Change password"</h2>
                <ActionForm action=change attr:class="stack narrow">
                    <label>"Current password"<input type="password" name="current_password" autocomplete="current-password" required/></label>
                    <label>"New password (at least 10 characters)"<input type="password" name="new_password" autocomplete="new-password" required minlength="10"/></label>
                    {action_outcome(change.value(), "Password changed. Your other sessions were signed out.")}
                    <button type="submit" class="primary">"Change password"</button>
                </ActionForm>
            </section>
        </SignedIn>
    }
}
