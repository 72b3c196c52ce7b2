//! `/admin`: users, roles and accounts, and the way to SLA policies and calendars
//! (`/admin/sla`). Later issues add connectors, API keys and the audit log here.

use crate::api::accounts::{list_accounts, CreateAccount};
use crate::api::users::{list_users, CreateUser, SetUserDisabled, SetUserPassword, SetUserRole};
use crate::components::{action_outcome as outcome, ErrorNotice, Guarded};
use crate::domain::{Role, Section, UserSummary};
use leptos::form::ActionForm;
use leptos::prelude::*;

fn role_options(selected: Option<Role>) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=selected == Some(r)>{r.label()}</option> })
        .collect_view()
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let create_user = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_password = ServerAction::<SetUserPassword>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let create_account = ServerAction::<CreateAccount>::new();
    let users = Resource::new(
        move || {
            (
                create_user.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |_| list_users(),
    );
    let accounts = Resource::new(move || create_account.version().get(), |_| list_accounts());

    view! {
        <Guarded section=Section::Admin>
            <section class="page">
                <h1>"Administration"</h1>
                <p class="lead">"Users, their roles, and the accounts they belong to. Connectors, API keys and the audit log will join them here."</p>
                <p><a href="/admin/sla" id="sla-settings-link">"SLA policies and calendars →"</a></p>

                <h2>"Users"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                    {move || Suspend::new(async move {
                        match users.await {
                            Ok(list) => view! { <UserTable users=list set_role set_password set_disabled/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>

                <h3>"Add a user"</h3>
                <ActionForm action=create_user attr:class="stack narrow" attr:id="create-user">
                    <label>"Email"<input type="email" name="email" required/></label>
                    <label>"Name"<input type="text" name="display_name"/></label>
                    <label>"Role"<select name="role">{role_options(Some(Role::Agent))}</select></label>
                    <label>"Accounts (codes, comma-separated: one for a customer, any for an account manager)"
                        <input type="text" name="accounts"/></label>
                    <label>"Initial password (at least 10 characters)"<input type="password" name="password" autocomplete="new-password" required/></label>
                    {outcome(create_user.value(), "User added.")}
                    <button type="submit" class="primary">"Add user"</button>
                </ActionForm>

                <h2>"Accounts"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
                    {move || Suspend::new(async move {
                        match accounts.await {
                            Ok(list) if list.is_empty() => view! { <p>"No accounts yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <table class="grid">
                                    <thead><tr><th>"Code"</th><th>"Name"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|a| view! { <tr><td>{a.code}</td><td>{a.name}</td></tr> }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                <h3>"Add an account"</h3>
                <ActionForm action=create_account attr:class="stack narrow" attr:id="create-account">
                    <label>"Code (e.g. ACME)"<input type="text" name="code" required/></label>
                    <label>"Name"<input type="text" name="name" required/></label>
                    {outcome(create_account.value(), "Account added.")}
                    <button type="submit" class="primary">"Add account"</button>
                </ActionForm>
            </section>
        </Guarded>
    }
}

#[component]
fn UserTable(
    users: Vec<UserSummary>,
    set_role: ServerAction<SetUserRole>,
    set_password: ServerAction<SetUserPassword>,
    set_disabled: ServerAction<SetUserDisabled>,
) -> impl IntoView {
    let options = users
        .iter()
        .map(|u| view! { <option value=u.user_id.to_string()>{format!("{} ({})", u.display_name, u.email)}</option> })
        .collect_view();
    view! {
        <table class="grid" id="users">
            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role and accounts"</th><th>"Access"</th></tr></thead>
            <tbody>
                {users.into_iter().map(|u| {
                    let accounts = u.account_codes.join(", ");
                    view! {
                        <tr>
                            <td>{u.display_name}</td>
                            <td>{u.email}</td>
                            <td>
                                <ActionForm action=set_role attr:class="inline">
                                    <input type="hidden" name="user_id" value=u.user_id.to_string()/>
                                    <select name="role" aria-label="Role">{role_options(Some(u.role))}</select>
                                    <input type="text" name="accounts" value=accounts aria-label="Accounts" placeholder="account codes"/>
                                    <button type="submit">"Save"</button>
                                </ActionForm>
                            </td>
                            <td>
                                <ActionForm action=set_disabled attr:class="inline">
                                    <input type="hidden" name="user_id" value=u.user_id.to_string()/>
                                    <input type="hidden" name="disabled" value=(!u.disabled).to_string()/>
                                    {if u.disabled { "Disabled " } else { "" }}
                                    <button type="submit">{if u.disabled { "Enable" } else { "Disable" }}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {outcome(set_role.value(), "Role saved. That user's sessions were signed out.")}
        {outcome(set_disabled.value(), "Access changed. A disabled user's sessions were signed out.")}
        <h3>"Reset a password"</h3>
        <p class="lead">"For someone who lost theirs. Their sessions end; tell them the new password in person."</p>
        <ActionForm action=set_password attr:class="stack narrow" attr:id="reset-password">
            <label>"User"<select name="user_id">{options}</select></label>
            <label>"New password (at least 10 characters)"<input type="password" name="password" autocomplete="new-password" required/></label>
            {outcome(set_password.value(), "Password reset. That user's sessions were signed out.")}
            <button type="submit" class="primary">"Reset password"</button>
        </ActionForm>
    }
}
