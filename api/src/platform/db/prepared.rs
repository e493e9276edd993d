//! Hand-written SQL that diesel keeps prepared on each connection.
//!
//! `diesel::sql_query` marks itself unsafe to cache, so diesel-async prepares it again on
//! every call: one more round trip (Parse, Describe) and a fresh parse, and, since the
//! statement cache is locked while a statement is prepared, pipelined `sql_query`s wait
//! for each other's preparation. [`Prepared`] is a fixed SQL text with typed binds that
//! is cached by its text like diesel's own queries. The bid writer's batch statements
//! (`unnest` joins and inserts, which diesel's DSL cannot express) use it.
//!
//! A cached statement gets PostgreSQL's plan cache: after five runs it may switch to a
//! generic plan, chosen without the parameters' values, and keep it while tables grow
//! (planned on an empty `bids`, a lookup would scan the table in every batch until the
//! next ANALYZE). The bid writer runs its statements in a [`custom_plan_transaction`], so
//! they are planned for each batch's arrays: planning once a batch, not parsing and
//! preparing once a statement.

use diesel::{
    expression::AsExpression,
    pg::Pg,
    prelude::*,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{HasSqlType, Untyped},
};
use diesel_async::AsyncPgConnection;

/// A fixed SQL text whose `{}` marks are its binds, in order (they become `$1`, `$2`...).
pub struct Prepared<'a> {
    sql: &'static str,
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'a>>,
}

/// Starts a [`Prepared`] statement; add one [`Prepared::bind`] per `{}` of `sql`.
pub fn prepared<'a>(sql: &'static str) -> Prepared<'a> {
    Prepared {
        sql,
        binds: Vec::new(),
    }
}

impl<'a> Prepared<'a> {
    /// Binds the next `{}` to `value`, as SQL type `ST`.
    pub fn bind<ST, T>(mut self, value: T) -> Self
    where
        Pg: HasSqlType<ST>,
        ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
        T: AsExpression<ST>,
        T::Expression: QueryFragment<Pg> + Send + 'a,
    {
        self.binds.push(Box::new(value.as_expression()));
        self
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut pieces = self.sql.split("{}");
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        let mut binds = self.binds.iter();
        for piece in pieces {
            let bind = binds.next().ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(
                    format!("a {{}} without a bind in: {}", self.sql).into(),
                )
            })?;
            bind.walk_ast(out.reborrow())?;
            out.push_sql(piece);
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("more binds than {{}} in: {}", self.sql).into(),
            ));
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    // not a static type: diesel caches the statement by its SQL text instead
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

/// Runs `f` in a transaction whose statements are planned for their parameters
/// (`BEGIN; SET LOCAL plan_cache_mode = force_custom_plan`, one round trip), committed
/// when it returns `Ok`, rolled back otherwise. The pattern of diesel-async's
/// `TransactionBuilder::run`, with the setting in the `BEGIN`.
pub async fn custom_plan_transaction<T, E, F>(conn: &mut AsyncPgConnection, f: F) -> Result<T, E>
where
    F: AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction_sql(
        conn,
        "BEGIN; SET LOCAL plan_cache_mode = force_custom_plan",
    )
    .await?;
    match f(conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(conn).await?;
            Err(e)
        }
    }
}

/// Lets the rest of the caller's [`custom_plan_transaction`] use cached plans again
/// (`SET LOCAL plan_cache_mode = auto`), for statements whose plan cannot go wrong, such
/// as an insert from arrays: planning it for each batch's arrays (constants of kilobytes)
/// cost PostgreSQL about 90 us a bid at the deadline rush.
pub async fn cached_plans(conn: &AsyncPgConnection) -> QueryResult<()> {
    use diesel_async::RunQueryDsl;
    let mut conn = conn;
    prepared("SET LOCAL plan_cache_mode = auto")
        .execute(&mut conn)
        .await
        .map(drop)
}
