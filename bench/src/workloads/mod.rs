//! The workloads. Each one is a plain function `run(contender, ctx) -> Sample` that builds a
//! fresh runtime of the asked kind, does the same work on it, and times only that work.
//! The three versions of a workload sit side by side in one file so they can be compared
//! line by line: the point is that they do the *same* thing.

pub mod brigade;
pub mod http_seq;
pub mod page_fetch;
pub mod ping_pong;
pub mod sleepers;
pub mod spawn_many;
pub mod timers;
pub mod yield_many;

use std::net::SocketAddr;

/// Who runs a workload. For the HTTP workloads `Tokio` means hyper + hyper-util's client on
/// a tokio current_thread runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contender {
    /// corolab's `Runtime` (and for HTTP, `corolab::http::Client`).
    Corolab,
    /// tokio's current_thread runtime (and for HTTP, hyper-util's legacy client).
    Tokio,
    /// smol's parts: async-executor's `LocalExecutor` driven by async-io's `block_on`.
    Smol,
}

impl Contender {
    /// The name used on the command line, in child-process arguments and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Corolab => "corolab",
            Contender::Tokio => "tokio",
            Contender::Smol => "smol",
        }
    }

    /// The inverse of [`Contender::name`].
    pub fn parse(name: &str) -> Option<Contender> {
        [Contender::Corolab, Contender::Tokio, Contender::Smol]
            .into_iter()
            .find(|c| c.name() == name)
    }
}

/// What a workload may need from the harness.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Smoke run: every size divided by 10.
    pub quick: bool,
    /// The HTTP server (in its own process), for the HTTP workloads.
    pub server: Option<SocketAddr>,
}

impl Ctx {
    /// `n`, or a tenth of it in a quick run.
    pub fn size(&self, n: usize) -> usize {
        if self.quick { (n / 10).max(1) } else { n }
    }
}

/// The numbers one run produced, first the headline metric. Names are fixed strings so that
/// the harness can match them with the goals.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// (metric name, value) pairs.
    pub metrics: Vec<(&'static str, f64)>,
}

impl Sample {
    /// Adds a metric.
    pub fn with(mut self, name: &'static str, value: f64) -> Sample {
        self.metrics.push((name, value));
        self
    }

    /// The value of metric `name`, if this sample has it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// A tokio current_thread runtime with timers and I/O: the fair peer of a single-threaded
/// runtime.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A small deterministic pseudo-random sequence (xorshift64*), so every runtime gets the same
/// "random" deadlines without a dependency.
pub struct XorShift(u64);

impl XorShift {
    /// A generator with a fixed non-zero seed.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// The next number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}
