//! Who is signed in, as the pages see it: a context the app provides once, which the navigation,
//! the guards and the sign-in page read.

use crate::api::auth::{Login, Logout};
use crate::domain::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// Who is signed in, and the actions that change it. Provided once by `App`.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
}
