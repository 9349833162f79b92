//! SQL written for one call: a batch of rows or a list of ids, whose number of
//! parameters varies from call to call.
//!
//! Such statements are sent unprepared: every shape would otherwise take a
//! slot in each connection's statement cache. Parameters are numbered
//! (`$1`, `$2`, …) on both backends, so a list is a run of numbers after the
//! fixed parameters. (sqlx's `QueryBuilder` would write `?` for the `Any`
//! driver, which PostgreSQL does not read.)

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Encode, Type};

use crate::Backend;

/// An unprepared query over `sql`, returning nothing or row counts.
pub(crate) fn query<'q>(sql: String) -> Query<'q, Any, AnyArguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false)
}

/// An unprepared query over `sql`, returning rows as `O`.
pub(crate) fn query_as<'q, O>(sql: String) -> QueryAs<'q, Any, O, AnyArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false)
}

/// An unprepared query over `sql`, returning the first column of each row as `O`.
pub(crate) fn query_scalar<'q, O>(sql: String) -> QueryScalar<'q, Any, O, AnyArguments>
where
    (O,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).persistent(false)
}

/// Most parameters a statement built here takes on SQLite. SQLite finds a
/// `$n` by name in a list it scans from the start, when it prepares a
/// statement and again when sqlx binds it, so a statement costs in the
/// square of its parameters: 10,000 of them take seconds, a hundred next to
/// nothing (and a statement more costs no round trip in-process).
const SQLITE_PARAMETERS: usize = 100;
/// The same on PostgreSQL, which binds by position: well under its limit of
/// 65,535, so that a batch costs few round trips.
const POSTGRES_PARAMETERS: usize = 10_000;

/// How many items of `width` parameters each one statement on `backend`
/// takes besides its `fixed` parameters: the size of the pieces a batch or a
/// list of ids is cut into.
pub(crate) fn per_statement(backend: Backend, fixed: usize, width: usize) -> usize {
    let most = match backend {
        Backend::Sqlite => SQLITE_PARAMETERS,
        Backend::Postgres => POSTGRES_PARAMETERS,
    };
    (most.saturating_sub(fixed) / width).max(1)
}

/// `$first, $first+1, …` for `count` parameters: the inside of an `in (…)` list.
pub(crate) fn list(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// `($first, …), (…)`: `count` rows of `width` parameters each, for a
/// multi-row `values` list (both backends name its columns `column1`, `column2` …).
pub(crate) fn rows(first: usize, count: usize, width: usize) -> String {
    (0..count).map(|row| format!("({})", list(first + row * width, width))).collect::<Vec<_>>().join(", ")
}

/// A JSON array bound as parameter `$n`, as a `from` item named `item` with
/// one row per element: its object in `item.value`, whose fields `item.value
/// ->> 'name'` reads as text (both backends). A whole batch is then one
/// statement with one parameter, where a `values` list takes a statement per
/// [`per_statement`] rows: on SQLite a hundred parameters a statement.
pub(crate) fn json_objects(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("json_each(${n}) as item"),
        Backend::Postgres => format!("json_array_elements(cast(${n} as json)) as item"),
    }
}

/// Binds every value of a list, in order: the other half of [`list`].
pub(crate) trait BindAll<'q>: Sized {
    /// Binds each of `values` as the next parameter.
    fn bind_all<T: 'q + Encode<'q, Any> + Type<Any>>(self, values: impl IntoIterator<Item = T>) -> Self;
}

impl<'q> BindAll<'q> for Query<'q, Any, AnyArguments> {
    fn bind_all<T: 'q + Encode<'q, Any> + Type<Any>>(self, values: impl IntoIterator<Item = T>) -> Self {
        values.into_iter().fold(self, |query, value| query.bind(value))
    }
}

impl<'q, O> BindAll<'q> for QueryAs<'q, Any, O, AnyArguments> {
    fn bind_all<T: 'q + Encode<'q, Any> + Type<Any>>(self, values: impl IntoIterator<Item = T>) -> Self {
        values.into_iter().fold(self, |query, value| query.bind(value))
    }
}

impl<'q, O> BindAll<'q> for QueryScalar<'q, Any, O, AnyArguments> {
    fn bind_all<T: 'q + Encode<'q, Any> + Type<Any>>(self, values: impl IntoIterator<Item = T>) -> Self {
        values.into_iter().fold(self, |query, value| query.bind(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_rows_number_their_parameters_in_order() {
        assert_eq!(list(2, 3), "$2, $3, $4");
        assert_eq!(list(1, 0), "");
        assert_eq!(rows(2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
    }
}
