//! The order API of the order-sync story (seed 000): `GET /orders?page=N`.
//!
//! **Concept.** The seed synced ~100,000 orders from a shop API that returns at most 100 per
//! call, so one sync is 1000+ requests, and each request spends most of its time *waiting*
//! for the server. [`OrderApi`] is that server: every page is computed from its number (no
//! database, no randomness), every request waits `latency` on a corolab **timer** (never a
//! blocking sleep, so one thread still serves thousands of clients at once), and the expected
//! total of all `amount_cents` is known without fetching anything ([`OrderApi::expected_checksum`]),
//! so a client can prove it got every page exactly once.
//!
//! Pages are numbered from 0, like the seed's `for page in range(0, page_num)`. A page past
//! the end has an empty `order_list`. Routes: `GET|HEAD /orders?page=N` (200 JSON),
//! `GET /` (a short help text); a missing or non-numeric `page` is 400, another path 404,
//! another method 405.
//!
//! **Where.** [`OrderApi::order`] makes order number `i` from a hash of `i`;
//! [`OrderApi::page`] slices pages; [`OrderApi::handle`] is the async handler;
//! [`OrderApi::spawn_on_thread`] starts it on its own thread (used by the fetch_pages example
//! and the tests); `examples/order_server.rs` runs it standalone.
//!
//! **In the debugger.** `break corolab_server::orders::OrderApi::handle`; the task stops
//! there once per request, and after `sleep(latency)` it resumes only when its timer fires
//! (`timer N fired` in `COROLAB_TRACE=1` output).
//!
//! ```
//! use corolab_server::orders::OrderApi;
//!
//! let api = OrderApi { total_orders: 250, ..OrderApi::default() };
//! assert_eq!(api.total_pages(), 3);
//! assert_eq!(api.page(2).order_list.len(), 50);
//! assert!(api.page(3).order_list.is_empty());
//! let sum: u64 = (0..3).flat_map(|p| api.page(p).order_list).map(|o| o.amount_cents).sum();
//! assert_eq!(sum, api.expected_checksum());
//! ```

use super::{Config, Request, Response, ServerHandle, spawn_on_thread};
use corolab::time::sleep;
use serde::{Deserialize, Serialize};
use std::io;
use std::net::ToSocketAddrs;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// One order, as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// 1, 2, 3, ... across all pages.
    pub order_id: u64,
    /// Product code, e.g. `SKU-04217`.
    pub sku: String,
    /// 1 to 5.
    pub quantity: u32,
    /// Unit price times quantity, in cents.
    pub amount_cents: u64,
    /// RFC 3339 UTC time; orders are 37 s apart starting 2024-01-01.
    pub created_at: String,
}

/// One page of orders: the JSON body of `GET /orders?page=N`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The page asked for.
    pub page: u64,
    /// Orders per full page.
    pub page_size: u64,
    /// Number of non-empty pages (valid pages are `0..total_pages`).
    pub total_pages: u64,
    /// The orders (empty past the last page).
    pub order_list: Vec<Order>,
}

/// The order API's settings, and its handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderApi {
    /// Orders in the whole shop (default 100,000, the seed's number).
    pub total_orders: u64,
    /// Orders per page (default 100, the seed API's limit).
    pub page_size: u64,
    /// How long each `/orders` request waits before answering (default 0), on a timer.
    pub latency: Duration,
    /// Send bodies with `Transfer-Encoding: chunked` (4 KiB chunks) instead of `Content-Length`.
    pub chunked: bool,
}

impl Default for OrderApi {
    fn default() -> Self {
        OrderApi {
            total_orders: 100_000,
            page_size: 100,
            latency: Duration::ZERO,
            chunked: false,
        }
    }
}

/// Chunk size used when [`OrderApi::chunked`] is on.
const CHUNK_SIZE: usize = 4096;

/// 2024-01-01T00:00:00Z as a Unix time.
const FIRST_ORDER_UNIX: u64 = 1_704_067_200;

/// Seconds between two consecutive orders.
const ORDER_SPACING_S: u64 = 37;

impl OrderApi {
    /// Number of non-empty pages: `ceil(total_orders / page_size)`.
    pub fn total_pages(&self) -> u64 {
        self.total_orders.div_ceil(self.page_size.max(1))
    }

    /// Order number `index` (0-based over the whole shop). Same index, same order, always.
    pub fn order(&self, index: u64) -> Order {
        let h = mix(index);
        let quantity = 1 + (h % 5) as u32;
        let unit_price_cents = 199 + (h >> 8) % 19_801; // $1.99 to $200.00
        Order {
            order_id: index + 1,
            sku: format!("SKU-{:05}", (h >> 32) % 10_000),
            quantity,
            amount_cents: unit_price_cents * u64::from(quantity),
            created_at: rfc3339_utc(FIRST_ORDER_UNIX + index * ORDER_SPACING_S),
        }
    }

    /// The global order indexes on `page` (empty past the end).
    fn indexes_of_page(&self, page: u64) -> Range<u64> {
        let size = self.page_size.max(1);
        let start = page.saturating_mul(size).min(self.total_orders);
        let end = start.saturating_add(size).min(self.total_orders);
        start..end
    }

    /// Page `page` (0-based).
    pub fn page(&self, page: u64) -> Page {
        Page {
            page,
            page_size: self.page_size,
            total_pages: self.total_pages(),
            order_list: self.indexes_of_page(page).map(|i| self.order(i)).collect(),
        }
    }

    /// Sum of `amount_cents` over every order: what a complete fetch must add up to.
    pub fn expected_checksum(&self) -> u64 {
        self.checksum_of_pages(0..self.total_pages())
    }

    /// Sum of `amount_cents` over the given pages (for runs that fetch only some pages).
    pub fn checksum_of_pages(&self, pages: Range<u64>) -> u64 {
        pages
            .flat_map(|p| self.indexes_of_page(p))
            .map(|i| self.order(i).amount_cents)
            .sum()
    }

    /// The request handler: routes, waits `latency` (a timer), answers.
    pub async fn handle(&self, request: Request) -> Response {
        let page = match route(&request) {
            Ok(page) => page,
            Err(response) => return response,
        };
        if !self.latency.is_zero() {
            sleep(self.latency).await;
        }
        let body = match serde_json::to_vec(&self.page(page)) {
            Ok(body) => body,
            Err(e) => return Response::text(500, format!("cannot encode page: {e}")),
        };
        let response = Response::json(200, body);
        if self.chunked {
            response.chunked(CHUNK_SIZE)
        } else {
            response
        }
    }

    /// Starts the API on its own thread (see [`spawn_on_thread`]) with default [`Config`].
    pub fn spawn_on_thread(self, addr: impl ToSocketAddrs) -> io::Result<ServerHandle> {
        let api = Arc::new(self);
        spawn_on_thread(addr, Config::default(), move |request| {
            let api = api.clone();
            async move { api.handle(request).await }
        })
    }
}

/// `Ok(page)` for a valid `/orders` request, or the error response to send.
fn route(request: &Request) -> Result<u64, Response> {
    match request.path() {
        "/orders" => {}
        "/" => {
            return Err(Response::text(
                200,
                "corolab order API: GET /orders?page=N (pages start at 0)",
            ));
        }
        other => {
            let path: String = other.chars().take(100).collect();
            return Err(Response::text(
                404,
                format!("not found: {path} (try GET /orders?page=0)"),
            ));
        }
    }
    if request.method != "GET" && request.method != "HEAD" {
        return Err(Response::text(405, "only GET and HEAD are allowed").with_header("Allow", "GET, HEAD"));
    }
    let Some(value) = request.query_param("page") else {
        return Err(Response::text(400, "missing query parameter: GET /orders?page=N"));
    };
    value.parse::<u64>().map_err(|_| {
        let shown: String = value.chars().take(40).collect();
        Response::text(400, format!("page must be a whole number >= 0, got {shown:?}"))
    })
}

/// A 64-bit mixing function (splitmix64's finalizer): nearby inputs give unrelated outputs.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Formats a Unix time as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339_utc(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_correct_calendar_dates() {
        // A wrong date formula would show up as impossible dates in the JSON.
        assert_eq!(rfc3339_utc(FIRST_ORDER_UNIX), "2024-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_164_800), "2024-02-29T00:00:00Z"); // leap day
        assert_eq!(rfc3339_utc(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn orders_are_deterministic_and_pages_partition_them() {
        // The checksum test of every strategy depends on pages never overlapping or changing.
        let api = OrderApi {
            total_orders: 1001,
            ..OrderApi::default()
        };
        assert_eq!(api.order(5), api.order(5));
        assert_eq!(api.total_pages(), 11);
        let ids: Vec<u64> = (0..12)
            .flat_map(|p| api.page(p).order_list)
            .map(|o| o.order_id)
            .collect();
        assert_eq!(ids, (1..=1001).collect::<Vec<_>>());
        assert!(api.page(u64::MAX).order_list.is_empty());
        assert_eq!(api.checksum_of_pages(0..11), api.expected_checksum());
    }

    #[test]
    fn routing_errors() {
        // Bad requests get the right status and a short reason, never a panic.
        let api = OrderApi::default();
        let status = |target: &str| corolab::block_on(api.handle(Request::get(target))).status;
        assert_eq!(status("/orders?page=0"), 200);
        assert_eq!(status("/orders?page=99999999999999999999"), 400);
        assert_eq!(status("/orders?page=-1"), 400);
        assert_eq!(status("/orders"), 400);
        assert_eq!(status("/nope"), 404);
        assert_eq!(status("/"), 200);
        let mut post = Request::get("/orders?page=1");
        post.method = "POST".into();
        assert_eq!(corolab::block_on(api.handle(post)).status, 405);
    }

    #[test]
    fn json_shape_matches_the_contract() {
        // Clients (and Python scripts) read exactly these field names.
        let api = OrderApi::default();
        let response = corolab::block_on(api.handle(Request::get("/orders?page=2")));
        let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(value["page"], 2);
        assert_eq!(value["page_size"], 100);
        assert_eq!(value["total_pages"], 1000);
        let first = &value["order_list"][0];
        assert_eq!(first["order_id"], 201);
        for field in ["sku", "quantity", "amount_cents", "created_at"] {
            assert!(!first[field].is_null(), "missing {field}");
        }
    }
}
