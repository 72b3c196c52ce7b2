//! `milepost user ...`

use crate::cli::{UserAdd, UserCommand};
use anyhow::{bail, Context};
use app::domain::Role;
use app::error::AppError;
use app::services::users::{self, NewUser};
use secrecy::SecretString;
use sqlx::PgPool;

pub async fn run(cmd: UserCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add(add) => add_user(add, pool).await,
        UserCommand::SetPassword {
            email,
            password_stdin,
        } => {
            let user = app::store::users::find_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            let password = read_password(password_stdin)?;
            users::set_password(pool, user.user_id, password, None)
                .await
                .map_err(explain)?;
            println!("Password changed for {email}; their sessions were ended.");
            Ok(())
        }
        UserCommand::Disable { email } => set_disabled(pool, &email, true).await,
        UserCommand::Enable { email } => set_disabled(pool, &email, false).await,
        UserCommand::List => {
            for u in app::store::users::list(pool).await? {
                let state = if u.disabled_at.is_some() {
                    " (disabled)"
                } else {
                    ""
                };
                println!("{:<40} {:<16} {}{state}", u.email, u.role, u.display_name);
            }
            Ok(())
        }
    }
}

async fn set_disabled(pool: &PgPool, email: &str, disabled: bool) -> anyhow::Result<()> {
    let user = app::store::users::find_by_email(pool, email)
        .await?
        .with_context(|| format!("no user with email {email}"))?;
    users::set_disabled(pool, user.user_id, disabled, None)
        .await
        .map_err(explain)?;
    if disabled {
        println!("Disabled {email}; their sessions were ended.");
    } else {
        println!("Enabled {email}; they can sign in again.");
    }
    Ok(())
}

async fn add_user(add: UserAdd, pool: &PgPool) -> anyhow::Result<()> {
    let role: Role = add.role.parse()?;
    let password = read_password(add.password_stdin)?;
    let email = add.email.clone();
    let new = NewUser {
        email: add.email,
        display_name: add.name,
        role,
        account_codes: add.accounts,
        password,
    };
    users::create(pool, new, None).await.map_err(explain)?;
    println!("Added {role} {email}. They can sign in now.");
    Ok(())
}

/// From the first line of stdin, or from a prompt (asked twice).
fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        let line = line.trim_end_matches(['\n', '\r']).to_string();
        if line.is_empty() {
            bail!("no password on stdin");
        }
        return Ok(SecretString::from(line));
    }
    let first = rpassword::prompt_password("Password: ")
        .context("reading the password (use --password-stdin when not on a terminal)")?;
    let second = rpassword::prompt_password("Repeat password: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(SecretString::from(first))
}

/// Turns a validation error into a sentence for the terminal.
pub fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(fields) => anyhow::anyhow!("{fields}"),
        other => anyhow::anyhow!("{other}"),
    }
}
