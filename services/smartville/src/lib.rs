//! The `smartville` binary's commands, as a library: `serve` builds an
//! [`serve::Application`] from an already-bound listener, so tests run the
//! very same process setup on port 0.

pub mod admin;
pub mod component;
pub mod config;
pub mod http;
pub mod mqtt_bridge;
pub mod ops;
pub mod score;
pub mod serve;
pub mod simulate;
