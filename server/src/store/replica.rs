//! How far a streaming replica is behind its primary, asked of the replica itself.

use sqlx::PgPool;

/// Seconds behind: 0 when it has replayed everything it received (an idle primary sends
/// nothing, so the last replayed transaction's age would mislead), else the age of the last
/// transaction it replayed. An error when it does not answer or is not a standby.
pub async fn lag_seconds(replica: &PgPool) -> sqlx::Result<f64> {
    let row = sqlx::query!(
        r#"select pg_is_in_recovery() as "standby!",
                  (case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                        else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0)
                   end)::float8 as "lag!""#
    )
    .fetch_one(replica)
    .await?;
    if !row.standby {
        return Err(sqlx::Error::Protocol(
            "MILEPOST_REPLICA_URL names a server that is not a standby".into(),
        ));
    }
    Ok(row.lag)
}
